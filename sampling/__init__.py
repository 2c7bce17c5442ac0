"""Pure library for the mathematics of samples: sizes, allocation and reproducible draws.

Imports numpy/scipy only; never the web or database layers.

Modules
-------
sample_size      sample size for a proportion, per domain and in total (Cochran 1977, §4.4)
allocation       proportional / equal / Neyman / power allocation with bounds; precision preview
draws            stratified SRSWOR and systematic sampling within strata, with reserve lists
pps              systematic PPS with certainty units; two-stage PPS + SRSWOR designs
frames           canonical ordering of frame arrays (stratum, sort keys, unit id)
reproducibility  frame content hash, per-stratum random streams, draw records
errors           SamplingError(ValueError) -> FrameError, DesignError
"""

from sampling.allocation import (
    Allocation,
    Precision,
    allocate,
    allocate_equal,
    allocate_neyman,
    allocate_power,
    allocate_proportional,
    expected_precision,
)
from sampling.draws import Sample, draw_stratified, draw_systematic
from sampling.errors import DesignError, FrameError, SamplingError
from sampling.pps import (
    PpsProbabilities,
    PsuSample,
    TwoStageSample,
    draw_pps_systematic,
    draw_two_stage,
    pps_inclusion_probs,
)
from sampling.reproducibility import DrawRecord, frame_hash
from sampling.sample_size import (
    DomainSampleSizes,
    SampleSize,
    sample_size_by_domain,
    sample_size_proportion,
)

__all__ = [
    "Allocation",
    "DesignError",
    "DomainSampleSizes",
    "DrawRecord",
    "FrameError",
    "PpsProbabilities",
    "Precision",
    "PsuSample",
    "Sample",
    "SampleSize",
    "SamplingError",
    "TwoStageSample",
    "allocate",
    "allocate_equal",
    "allocate_neyman",
    "allocate_power",
    "allocate_proportional",
    "draw_pps_systematic",
    "draw_stratified",
    "draw_systematic",
    "draw_two_stage",
    "expected_precision",
    "frame_hash",
    "pps_inclusion_probs",
    "sample_size_by_domain",
    "sample_size_proportion",
]
