//! Engine.IO server. Work in progress.
