"""flowkit.torch - torch.utils.data.Dataset views of flowkit's data sets.

    from flowkit.torch import IdxDataset, FlowPicDataset, StatsDataset
    train = IdxDataset("out/traffic", part="train")     # flow-idx
    loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True)
    for x, y in loader: ...    # x float32 (B, 1, rows, cols) in [0, 1], y int64

Each dataset yields (x, y): x a float32 tensor, y the class id as an int64
tensor.  Rows without a class (255, or -1 in flow-stats) are left out
unless keep_unlabelled=True.  Needs torch (Debian: python3-torch).
"""

import numpy as np
import torch as _torch
from torch.utils.data import Dataset as _Dataset

from . import datasets as _ds

__all__ = ["ArrayDataset", "IdxDataset", "FlowPicDataset", "StatsDataset"]


class ArrayDataset(_Dataset):
    """ArrayDataset(data, part=None, keep_unlabelled=False, transform=None):
    the rows of a flowkit.datasets.Data (of one part of a split when part
    is given) as (x, y) tensors.  .classes holds the class names by id."""

    unlabelled = (255, -1)

    def __init__(self, data, part=None, keep_unlabelled=False, transform=None):
        if part is not None:
            parts = data.parts
            if part not in parts:
                raise KeyError("no part %r (the parts are %s)" % (part, sorted(parts)))
            data = parts[part]
        X = data.X.to_numpy(dtype=np.float64) if hasattr(data.X, "to_numpy") else data.X
        y = np.asarray(data.y).astype(np.int64)
        if not keep_unlabelled:
            m = ~np.isin(y, self.unlabelled)
            X, y = X[m], y[m]
        self.x = _torch.from_numpy(np.ascontiguousarray(self._features(X)))
        self.y = _torch.from_numpy(y)
        self.classes = data.classes
        self.transform = transform

    @staticmethod
    def _features(X):
        return X.astype(np.float32)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        x = self.x[i]
        if self.transform is not None:
            x = self.transform(x)
        return x, self.y[i]


class IdxDataset(ArrayDataset):
    """IdxDataset(prefix, part=None, ...): flow-idx images as (1, rows, cols)
    float32 in [0, 1] (the bytes divided by 255)."""

    def __init__(self, prefix, part=None, classes=None, **kw):
        ArrayDataset.__init__(self, _ds.load_idx(prefix, classes), part, **kw)

    @staticmethod
    def _features(X):
        return (X.astype(np.float32) / 255.0)[:, None, :, :]


class FlowPicDataset(ArrayDataset):
    """FlowPicDataset(path, part=None, ...): flow-pic pictures (C, H, W) as float32."""

    def __init__(self, path, part=None, **kw):
        ArrayDataset.__init__(self, _ds.load_flowpic(path), part, **kw)


class StatsDataset(ArrayDataset):
    """StatsDataset(path, columns=None, nan=0.0, ...): flow-stats rows as float32
    feature vectors (only numeric columns of a CSV or TSV; the columns named
    when given); NaN (empty cells) replaced by nan."""

    def __init__(self, path, columns=None, nan=0.0, **kw):
        d = _ds.load_stats(path)
        X = d.X
        if hasattr(X, "select_dtypes"):
            X = X[columns] if columns is not None else X.select_dtypes("number")
            d.columns = list(X.columns)
            d.X = X.to_numpy(dtype=np.float64)
        elif columns is not None:
            d.X = X[:, [d.columns.index(c) for c in columns]]
            d.columns = list(columns)
        d.X = np.nan_to_num(d.X, nan=nan)
        self.columns = d.columns
        ArrayDataset.__init__(self, d, **kw)
