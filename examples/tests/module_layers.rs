//! The module-layer check (ARCH-1): inside every crate of `crates/`, the `crate::` references
//! between top-level modules form no cycle, except the one documented object-model cycle of
//! `socketio`.
//!
//! The graph is built from source text: every `crate::name` path (in `use` items, including
//! `crate::{a::X, b::Y}` groups, and in expressions and types) outside comments is an edge from the
//! module whose file holds it to the module `name` names, where a name that `lib.rs` re-exports
//! (`pub use socket::Socket;`) resolves to the module it comes from. Comments and doc links do
//! not count: a doc may point anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The cycles a crate may keep, each a set of top-level modules.
fn allowed_cycles(krate: &str) -> Vec<BTreeSet<&'static str>> {
    match krate {
        // Socket.IO's object graph: a socket knows its client and its namespace, a namespace
        // holds its sockets, a client holds its sockets. Every implementation has this cycle.
        "socketio" => vec![["client", "namespace", "socket"].into_iter().collect()],
        _ => Vec::new(),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("examples/ sits in the workspace")
        .to_path_buf()
}

/// Source text with comments and string/char literal contents removed, so neither a doc link
/// nor a string can add an edge.
fn strip_comments_and_strings(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'r'
            && matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
            && !prev_is_ident(b, i)
        {
            // Raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): skip only the former.
            if b.get(i + 1) == Some(&b'\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != b'\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&b'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push('\'');
                i += 1;
            }
        } else {
            // Multi-byte UTF-8 outside literals is copied through unchanged.
            let ch = src[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn prev_is_ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every item of a `{...}` group starting at `s[0] == '{'`.
fn group_heads(s: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut item_start = true;
    for (i, c) in s.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        if depth == 1 && item_start && !c.is_whitespace() {
            item_start = false;
            let id = ident_at(&s[i..]);
            if !id.is_empty() {
                heads.push(id.to_string());
            }
        }
    }
    heads
}

/// Every name `crate::` is followed by in `src` (already stripped).
fn crate_refs(src: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = src;
    while let Some(pos) = rest.find("crate::") {
        let before = &rest[..pos];
        let prefixed = before
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        rest = &rest[pos + "crate::".len()..];
        if prefixed {
            continue;
        }
        let trimmed = rest.trim_start();
        if trimmed.starts_with('{') {
            refs.extend(group_heads(trimmed));
        } else {
            let id = ident_at(trimmed);
            if !id.is_empty() {
                refs.push(id.to_string());
            }
        }
    }
    refs
}

/// `name -> module` for every `pub use module::...` (or `use`) of `lib.rs`.
fn lib_reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for stmt in lib.split(';') {
        let stmt = stmt.trim();
        let Some(body) = stmt
            .strip_prefix("pub use ")
            .or_else(|| stmt.strip_prefix("pub(crate) use "))
            .or_else(|| stmt.strip_prefix("use "))
        else {
            // A `use` may follow attributes or a doc-stripped line on the same statement.
            if let Some(idx) = stmt.rfind("pub use ") {
                let inner = &stmt[idx..];
                map.extend(lib_reexports(&format!("{inner};"), modules));
            }
            continue;
        };
        let body = body
            .trim()
            .trim_start_matches("crate::")
            .trim_start_matches("self::");
        let module = ident_at(body);
        if !modules.contains(module) {
            continue;
        }
        let after = &body[module.len()..];
        for name in exported_names(after) {
            map.insert(name, module.to_string());
        }
    }
    map
}

/// The names a use tree (after its first segment) binds: the last segment of each leaf, or its
/// `as` alias.
fn exported_names(tree: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut leaf = String::new();
    let flush = |leaf: &mut String, names: &mut Vec<String>| {
        let l = leaf.trim();
        if !l.is_empty() && l != "*" {
            let name = match l.rsplit_once(" as ") {
                Some((_, alias)) => alias.trim(),
                None => l.rsplit("::").next().unwrap_or(l).trim(),
            };
            if !name.is_empty() && name != "self" {
                names.push(name.to_string());
            }
        }
        leaf.clear();
    };
    for c in tree.chars() {
        match c {
            '{' => leaf.clear(),
            ',' | '}' => flush(&mut leaf, &mut names),
            _ => leaf.push(c),
        }
    }
    flush(&mut leaf, &mut names);
    names
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module graph of one crate: top-level module -> modules it names.
fn module_graph(src_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules = BTreeSet::new();
    for entry in fs::read_dir(src_dir).expect("src/ readable").flatten() {
        let path = entry.path();
        let name = path
            .file_stem()
            .expect("named")
            .to_string_lossy()
            .to_string();
        if path.is_dir() {
            if path.join("mod.rs").exists() || src_dir.join(format!("{name}.rs")).exists() {
                modules.insert(name);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && name != "lib" && name != "main" {
            modules.insert(name);
        }
    }
    let lib = fs::read_to_string(src_dir.join("lib.rs")).unwrap_or_default();
    let reexports = lib_reexports(&strip_comments_and_strings(&lib), &modules);

    let mut graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for module in &modules {
        let mut files = Vec::new();
        let file = src_dir.join(format!("{module}.rs"));
        if file.exists() {
            files.push(file);
        }
        rs_files(&src_dir.join(module), &mut files);
        for file in files {
            let text = strip_comments_and_strings(&fs::read_to_string(&file).expect("readable"));
            for name in crate_refs(&text) {
                let target = if modules.contains(&name) {
                    Some(name)
                } else {
                    reexports.get(&name).cloned()
                };
                if let Some(target) = target {
                    if &target != module {
                        graph.get_mut(module).expect("known").insert(target);
                    }
                }
            }
        }
    }
    graph
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct Tarjan<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in &self.graph[v] {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = BTreeSet::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    comp.insert(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

#[test]
fn crates_have_no_module_cycles_but_the_documented_one() {
    let crates_dir = workspace_root().join("crates");
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in fs::read_dir(&crates_dir)
        .expect("crates/ readable")
        .flatten()
    {
        let src = entry.path().join("src");
        if !src.join("lib.rs").exists() {
            continue;
        }
        checked += 1;
        let krate = entry.file_name().to_string_lossy().to_string();
        let graph = module_graph(&src);
        let allowed = allowed_cycles(&krate);
        for cycle in cycles(&graph) {
            let as_str: BTreeSet<&str> = cycle.iter().map(String::as_str).collect();
            if !allowed.contains(&as_str) {
                let edges: Vec<String> = cycle
                    .iter()
                    .flat_map(|m| {
                        graph[m]
                            .iter()
                            .filter(|t| cycle.contains(*t))
                            .map(move |t| format!("{m} -> {t}"))
                    })
                    .collect();
                failures.push(format!(
                    "{krate}: module cycle {:?} (edges: {})",
                    cycle,
                    edges.join(", ")
                ));
            }
        }
    }
    assert!(
        checked >= 4,
        "found only {checked} crates under {crates_dir:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_check_sees_cycles_groups_and_reexports() {
    let dir = std::env::temp_dir().join(format!("module-layers-{}", std::process::id()));
    let src = dir.join("src");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(src.join("c")).expect("temp dir");
    fs::write(
        src.join("lib.rs"),
        "mod a; mod b; mod c; mod d;\npub use c::{inner::Deep, Thing as Alias};\n",
    )
    .expect("write");
    // a -> b through a group; b -> c through a re-exported alias; c/inner.rs -> a; d only in a
    // comment and a string, so d stays out of the cycle.
    fs::write(
        src.join("a.rs"),
        "use crate::{b::X, self_x};\n// crate::d\n",
    )
    .expect("write");
    fs::write(
        src.join("b.rs"),
        "fn f() -> crate::Alias { let _ = \"crate::d\"; }",
    )
    .expect("write");
    fs::write(src.join("c.rs"), "mod inner;").expect("write");
    fs::write(src.join("c/inner.rs"), "pub struct Deep(crate::a::Y);").expect("write");
    fs::write(src.join("d.rs"), "use crate::Deep;").expect("write");
    let graph = module_graph(&src);
    let found = cycles(&graph);
    let _ = fs::remove_dir_all(&dir);
    let expected: BTreeSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(found, vec![expected], "graph: {graph:?}");
    assert!(graph["d"].contains("c"), "re-export resolved: {graph:?}");
}
