# The Voilà app on a machine of your own, or on a Hugging Face Docker Space (which runs containers as uid 1000).
#   docker build -t primer-app . && docker run -p 7860:7860 primer-app      then open the address it prints
#   (served to other machines, so the page asks for a token: the printed address carries it; add --token to choose it)
# CPU torch only (a fraction of the CUDA wheels' size). Put your exported model in models/ (classifier.pkl with its
# .safetensors and .manifest.json) before building; without one, the build trains the sample digits (seconds).
FROM python:3.11-slim
RUN useradd --create-home --uid 1000 user
USER user
ENV HOME=/home/user PATH=/home/user/.local/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /home/user/app
COPY --chown=user . .
RUN pip install --no-cache-dir --user torch torchvision --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir --user ".[app]"
RUN test -f models/classifier.safetensors || (primer download && primer train)
EXPOSE 7860
CMD ["primer", "app", "--ip", "0.0.0.0", "--port", "7860"]
