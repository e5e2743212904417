//! Shared fixtures for the examples and integration tests.
