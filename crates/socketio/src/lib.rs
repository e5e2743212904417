//! A Socket.IO server. Work in progress.
