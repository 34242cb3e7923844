"""churn train's time split (jobs/trainset.ByTime) for the Python benchmarks
in this folder, so that compare_models.py and notebook_baseline.py score on
exactly the rows churn train does.

The latest labelled cutoff is the test set; the cutoffs whose label window
(window_days: the label gap plus the horizon) reaches past it are set aside;
the latest one left is split by customer with the seeded FNV-1a hash of
jobs/trainset into a validation half (even hashes) and a calibration half;
every older cutoff trains. Needs pandas.
"""
import struct

import pandas as pd


def fnv1a64(data: bytes) -> int:
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def valid_half(customer_id: str, seed: int) -> bool:
    """jobs/trainset half(): FNV-1a 64 of the seed's 8 little-endian bytes,
    then the id; even hashes go to validation."""
    return fnv1a64(struct.pack("<Q", seed) + customer_id.encode()) % 2 == 0


class Split:
    """The rows of each role, and the cutoffs that made them."""

    def __init__(self, train, valid, test, older, valid_cutoff, gaps, test_cutoff):
        self.train, self.valid, self.test = train, valid, test
        self.older = older  # the cutoffs before the set-aside ones, validation last
        self.valid_cutoff, self.gaps, self.test_cutoff = valid_cutoff, gaps, test_cutoff


def by_time(df, window_days, seed):
    """Splits df (labelled rows, a datetime "cutoff" column and a string
    "customer_id") as churn train does; None when fewer than two cutoffs
    are left before the set-aside ones."""
    cutoffs = sorted(df["cutoff"].unique())
    last = cutoffs[-1]
    window = pd.Timedelta(days=window_days)
    older = [c for c in cutoffs[:-1] if c + window <= last]
    if len(older) < 2:
        return None
    valid_c = older[-1]
    gaps = [c for c in cutoffs[:-1] if c > valid_c]
    vc = df[df["cutoff"] == valid_c]
    valid = vc[vc["customer_id"].map(lambda s: valid_half(s, seed))]
    return Split(df[df["cutoff"] < valid_c], valid, df[df["cutoff"] == last], older, valid_c, gaps, last)
