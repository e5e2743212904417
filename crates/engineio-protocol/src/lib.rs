//! Sans-IO Engine.IO protocol (revisions 3 and 4). Work in progress.
