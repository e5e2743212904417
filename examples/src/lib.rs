//! Fixtures shared by the runnable examples and the integration tests.

pub mod admin_fixture;
pub mod attach;
pub mod axum_chat;
pub mod conformance;
pub mod demo;
pub mod redis_fixture;
