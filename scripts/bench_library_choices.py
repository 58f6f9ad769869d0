"""Where a well-kept library does a job of ours, measured side by side on the same features (issue 21, item 9).

Prints, for the sample digits with 8 labels flipped: (1) out-of-sample probabilities, ours (a linear head per fold,
L-BFGS) against cleanlab's `estimate_cv_predicted_probabilities` with scikit-learn's LogisticRegression, and (2) the
head's L2 by cross-validation, ours (`choose_weight_decay`, mirrors in every fold's training rows) against
scikit-learn's `LogisticRegressionCV` given the same folds. Time, and what each finds, in one run.
    python scripts/bench_library_choices.py [--per-label 150]
"""
import argparse, shutil, tempfile, time, warnings
from pathlib import Path
import numpy as np, torch
import torch.nn.functional as F

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--per-label', type=int, default=150)
    args = p.parse_args()
    scratch = Path(tempfile.mkdtemp()); data = scratch/'data'
    try: run(args, data)
    finally: shutil.rmtree(scratch)

def run(args, data):
    from fastai.vision.all import parent_label
    from primer_lib.download import download_images
    from primer_lib.settings import workshop_settings
    from primer_lib.data import workshop_dataloaders
    from primer_lib.training import workshop_learner, cached_features, choose_weight_decay, fit_linear_head, WEIGHT_DECAYS
    from primer_lib.review import review_items, out_of_sample_probs, fold_count
    from primer_lib.testing import flip_labels
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from cleanlab.count import estimate_cv_predicted_probabilities
    from cleanlab.filter import find_label_issues
    download_images(data, ['3', '7'], args.per_label)
    flipped = set(flip_labels(data, 8, seed=1))
    cfg = workshop_settings(data_dir=data, labels='3,7')
    dls = workshop_dataloaders(data, cfg.labels, cfg.image_size, cfg.valid_pct, cfg.seed, cfg.batch_size, augment=False)
    learn = workshop_learner(dls, cfg.arch)
    items = review_items(dls)
    x = torch.cat(cached_features(learn, list(items.file))[:1])
    vocab = sorted(set(items.label)); y = torch.tensor([vocab.index(l) for l in items.label])
    def recall(probs):
        ranked = find_label_issues(y.numpy(), probs, filter_by='predicted_neq_given', return_indices_ranked_by='self_confidence')
        return len({items.file[i] for i in ranked[:16]} & flipped) / len(flipped)
    k = fold_count(list(items.label), 5)
    t = time.perf_counter(); ours = out_of_sample_probs(x, y, len(vocab), k, cfg.seed).numpy(); t_ours = time.perf_counter() - t
    n = len(x)
    clf = LogisticRegression(C=1 / (0.03 * n), max_iter=1000)  # the same penalty: ours is wd/2 |W|^2 on the mean loss
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        t = time.perf_counter(); theirs = estimate_cv_predicted_probabilities(x.numpy(), y.numpy(), clf=clf, cv_n_folds=k, seed=cfg.seed)
        t_theirs = time.perf_counter() - t
    print(f'out-of-sample probabilities on {n} images, {k} folds: ours {t_ours:.2f} s, recall {recall(ours):.2f}; '
          f'cleanlab+sklearn {t_theirs:.2f} s, recall {recall(theirs):.2f}; time ratio cleanlab/ours {t_theirs / t_ours:.2f}')
    # the head's L2: training rows only, with their mirrors
    train = [f for f in dls.train_ds.items]
    xt, xf = cached_features(learn, train, training=True)
    yt = torch.tensor([vocab.index(parent_label(f)) for f in train])
    xv = cached_features(learn, list(dls.valid_ds.items))[0]; yv = torch.tensor([vocab.index(parent_label(f)) for f in dls.valid_ds.items])
    t = time.perf_counter(); wd = choose_weight_decay(xt, yt, len(vocab), extra=(xf, yt))
    head = fit_linear_head(torch.cat([xt, xf]), torch.cat([yt, yt]), len(vocab), wd); t_ours = time.perf_counter() - t
    with torch.no_grad(): s = head(xv); acc_ours, loss_ours = float((s.argmax(1) == yv).float().mean()), float(F.cross_entropy(s, yv))
    fold = torch.randperm(len(xt), generator=torch.Generator().manual_seed(0)) % 3
    m = len(xt); both = torch.cat([xt, xf]).numpy(); yy = torch.cat([yt, yt]).numpy()
    splits = [(np.concatenate([np.where(fold != j)[0], m + np.where(fold != j)[0]]), np.where(fold == j)[0]) for j in range(3)]
    Cs = [1 / (w * 2 * m * 2 / 3) for w in WEIGHT_DECAYS]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        t = time.perf_counter(); cv = LogisticRegressionCV(Cs=Cs, cv=splits, scoring='neg_log_loss', max_iter=1000).fit(both, yy)
        t_theirs = time.perf_counter() - t
    pv = torch.tensor(cv.predict_proba(xv.numpy()))
    acc_theirs, loss_theirs = float((pv.argmax(1) == yv).float().mean()), float(F.nll_loss(pv.clamp_min(1e-12).log(), yv))
    print(f'head with L2 by 3-fold cross-validation, {m} images and their mirrors: ours {t_ours:.2f} s (wd {wd}), valid accuracy '
          f'{acc_ours:.3f}, loss {loss_ours:.3f}; LogisticRegressionCV {t_theirs:.2f} s, valid accuracy {acc_theirs:.3f}, loss '
          f'{loss_theirs:.3f}; time ratio sklearn/ours {t_theirs / t_ours:.2f}')

if __name__ == '__main__': main()
