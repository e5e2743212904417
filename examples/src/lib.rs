//! Fixtures shared by the runnable examples and the integration tests.

pub mod attach;
pub mod conformance;
pub mod redis_fixture;
