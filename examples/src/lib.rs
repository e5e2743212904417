//! Fixtures shared by the runnable examples and the integration tests.

pub mod conformance;
pub mod attach;
