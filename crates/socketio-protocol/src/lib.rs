//! Sans-IO Socket.IO protocol codec. Work in progress.
