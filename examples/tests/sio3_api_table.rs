//! `docs/API.md` and the tests agree: every seed item has a row, and every test a row names
//! (`examples/tests/FILE.rs::path::to::test`) exists in that file: the last segment as a
//! `fn`, the ones before it as a `mod` or a macro arm (`name =>`) of the file.
#![allow(missing_docs, clippy::unwrap_used)]

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The seed's items, as the first column of `docs/API.md` spells them.
const SEED_ITEMS: &[&str] = &[
    "`new Server()`",
    "`new Server(opts)`",
    "`new Server(port, opts)`",
    "`new Server(httpServer, opts)`",
    "option `serveClient`",
    "option `path`",
    "Engine.IO options passed through",
    "`server.serveClient(v)`",
    "`server.path(v)`",
    "`server.adapter(v)`",
    "`server.origins(v)`",
    "`server.origins(fn)`",
    "`server.sockets`",
    "`server.attach(srv, opts)`",
    "`server.attach(port, opts)`",
    "`server.listen(...)`",
    "`server.bind(engine)`",
    "`server.onconnection(socket)`",
    "`server.of(nsp)`",
    "`server.emit(...)`",
    "`server.close()`",
    "`server.use(fn)`",
    "`server.clients(cb)`",
    "event `connection` / `connect`",
    "`namespace.name`",
    "`namespace.connected`",
    "`namespace.clients(cb)`",
    "`namespace.in(room).clients(cb)`",
    "`namespace.use(fn)`",
    "`socket.rooms`",
    "`socket.client`",
    "`socket.conn`",
    "`socket.request`",
    "`socket.id`",
    "`socket.emit(name, ...)`",
    "`socket.join(room, fn)`",
    "`socket.leave(room, fn)`",
    "`socket.to(room)`",
    "`socket.in(room)`",
    "`socket.compress(v)`",
    "`client.conn`",
    "`client.request`",
    "`DEBUG=socket.io*`",
    "plain HTTP server example",
    "Express example",
    "Koa example",
];

struct Row {
    first: String,
    tests: Vec<String>,
}

fn rows() -> Vec<Row> {
    let doc = std::fs::read_to_string(root().join("docs").join("API.md")).unwrap();
    doc.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("|---"))
        .filter(|l| !l.starts_with("| Seed item") && !l.starts_with("| Feature"))
        .map(|l| {
            let first = l[2..].split(" | ").next().unwrap().trim().to_owned();
            let tests = l
                .split('`')
                .filter(|s| s.starts_with("examples/tests/") && s.contains(".rs::"))
                .map(str::to_owned)
                .collect();
            Row { first, tests }
        })
        .collect()
}

#[test]
fn every_seed_item_has_a_row_with_a_test() {
    let rows = rows();
    for item in SEED_ITEMS {
        let row = rows
            .iter()
            .find(|r| r.first == *item)
            .unwrap_or_else(|| panic!("docs/API.md has no row for {item}"));
        assert!(!row.tests.is_empty(), "the row of {item} names no test");
    }
    for row in &rows {
        assert!(
            !row.tests.is_empty(),
            "the row of {} names no test",
            row.first
        );
    }
}

#[test]
fn every_named_test_exists() {
    let mut checked = 0;
    for row in rows() {
        for test in &row.tests {
            let (file, path) = test.split_once("::").unwrap();
            let source = std::fs::read_to_string(root().join(file))
                .unwrap_or_else(|e| panic!("{test} (row {}): {file}: {e}", row.first));
            let segments: Vec<&str> = path.split("::").collect();
            let (name, modules) = segments.split_last().unwrap();
            assert!(
                source.contains(&format!("fn {name}(")),
                "{test} (row {}): no `fn {name}(` in {file}",
                row.first
            );
            for m in modules {
                assert!(
                    source.contains(&format!("mod {m} ")) || source.contains(&format!("{m} =>")),
                    "{test} (row {}): no module or macro arm `{m}` in {file}",
                    row.first
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= SEED_ITEMS.len(), "only {checked} tests named");
}
