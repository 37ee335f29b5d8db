//! sanyi drg crate (being written).
