//! The house rules of ARCHITECTURE.md, checked on the source: every import of a `src/` file
//! points at its own layer or one below, no files import each other in a circle, and files stay
//! small enough to hold in one's head.
//!
//! "Imports" are every `crate::…` and `super::…` path in code (use declarations and inline
//! paths alike), outside comments, string literals and the trailing `#[cfg(test)]` module. A
//! path into a parent module that only declares and re-exports its children is followed to the
//! child that defines the item.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers from the bottom up: a module path prefix and its layer. The longest prefix wins.
const LAYERS: &[(&str, u8)] = &[
    // 0 — foundation: no dependencies on the rest of the crate beyond this layer.
    ("clock", 0),
    ("secret", 0),
    ("error", 0),
    ("config", 0),
    // 1 — pure rules and compiled-in files.
    ("domain", 1),
    ("assets", 1),
    // 2 — the metrics store and what feeds it.
    ("monitoring", 2),
    // 3 — services that talk to the outside: the database, other IndieAuth servers.
    ("db", 3),
    ("indieauth", 3),
    // 4 — renderers: HTML pages and feed documents from domain values.
    ("views", 4),
    ("feeds", 4),
    // 5 — the application state that holds the services.
    ("state", 5),
    // 3 — also the owner's credentials: password hashing, the passkey relying party, sign-in
    // throttle, setup token, CSRF tokens, client address.
    ("auth", 3),
    // 6 — request plumbing shared by every route: the session extractor, error pages, security
    // headers, logging.
    ("auth::session", 6),
    ("error_pages", 6),
    ("security_headers", 6),
    ("telemetry", 6),
    // 7 — handlers.
    ("routes", 7),
    // 8 — the top floor: the route table and the command line.
    ("startup", 8),
    ("cli", 8),
];

/// Imports that run from a lower layer to a higher one, each with its reason. Keep this short.
const UPWARD_ALLOWED: &[(&str, &str, &str)] = &[];

/// Non-test lines a file may have before it should be split by concept.
const MAX_FILE_LINES: usize = 450;

struct Module {
    path: PathBuf,
    /// Code with comments, strings and the test module removed.
    code: String,
    /// Whether the file only declares and re-exports children (a `mod.rs` without items).
    declare_only: bool,
    /// `pub use child::{A, B}` re-exports of a declare-only parent: item → child module.
    reexports: BTreeMap<String, String>,
}

fn module_name(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments, string/char literals and the trailing test module.
fn strip(source: &str) -> String {
    let source = match source.find("#[cfg(test)]\nmod tests") {
        Some(i) => &source[..i],
        None => source,
    };
    let b = source.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = source[i + 2..]
                    .find("*/")
                    .map_or(b.len(), |e| i + 2 + e + 2);
                i = end;
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let mut j = i + 1;
                while b.get(j) == Some(&b'#') {
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let closing = format!("\"{}", "#".repeat(j - i - 1));
                i = source[j + 1..]
                    .find(&closing)
                    .map_or(b.len(), |e| j + 1 + e + closing.len());
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '"') or a lifetime ('a).
                if b.get(i + 1) == Some(&b'\\') {
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    let ch = source[i + 1..].chars().next();
                    match ch {
                        Some(c) if source[i + 1 + c.len_utf8()..].starts_with('\'') => {
                            i += 2 + c.len_utf8();
                        }
                        _ => {
                            out.push('\'');
                            i += 1;
                        }
                    }
                }
            }
            _ => {
                let c = source[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into full paths.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let base = join(prefix, head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &base, out);
    } else {
        let item = tree.split(" as ").next().unwrap().trim();
        if !item.is_empty() {
            out.push(if item == "self" {
                prefix.to_owned()
            } else {
                join(prefix, item)
            });
        }
    }
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}::{b}"),
    }
}

/// Every `crate::`/`super::` path of a file's code, made absolute (without `crate::`).
fn paths(module: &str, is_parent: bool, code: &str) -> Vec<String> {
    let mut found = Vec::new();
    // The module `super` means, from this file.
    let mut segments: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    if !is_parent {
        segments.pop();
    }
    let parent = segments.join("::");
    // `use` declarations, including groups.
    for statement in code.split(';') {
        let s = statement.trim();
        let Some(pos) = s.find("use ") else { continue };
        if pos > 0 && !s[..pos].trim_end().ends_with("pub") && !s[..pos].ends_with(' ') {
            continue;
        }
        let tree = s[pos + 4..].trim();
        let (root, rest) = if let Some(r) = tree.strip_prefix("crate::") {
            (String::new(), r)
        } else if let Some(r) = tree.strip_prefix("super::") {
            (parent.clone(), r)
        } else {
            continue;
        };
        expand(rest, &root, &mut found);
    }
    // Inline paths anywhere else.
    for (root_word, root) in [("crate::", String::new()), ("super::", parent.clone())] {
        let mut from = 0;
        while let Some(off) = code[from..].find(root_word) {
            let at = from + off;
            from = at + root_word.len();
            if at > 0 && is_ident(code[..at].chars().last().unwrap()) {
                continue;
            }
            let tail: String = code[from..]
                .chars()
                .take_while(|c| is_ident(*c) || *c == ':')
                .collect();
            let tail = tail.trim_end_matches(':');
            if !tail.is_empty() {
                found.push(join(&root, tail));
            }
        }
    }
    found
}

/// Whether a file holds only module declarations and re-exports (and attributes/whitespace).
fn declare_only(code: &str) -> bool {
    code.split(';').all(|s| {
        let s = s.trim();
        s.is_empty()
            || s.starts_with("pub mod ")
            || s.starts_with("mod ")
            || s.starts_with("pub use ")
            || s.starts_with("#[")
    })
}

fn load(src: &Path) -> BTreeMap<String, Module> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut modules = BTreeMap::new();
    for path in files {
        let name = module_name(src, &path);
        if name == "main" || name == "lib" {
            continue;
        }
        let code = strip(&std::fs::read_to_string(&path).unwrap());
        let is_parent = path.file_name().is_some_and(|f| f == "mod.rs");
        let declare_only = is_parent && declare_only(&code);
        let mut reexports = BTreeMap::new();
        if declare_only {
            for s in code.split(';') {
                if let Some(tree) = s.trim().strip_prefix("pub use ") {
                    let mut items = Vec::new();
                    expand(tree, "", &mut items);
                    for item in items {
                        if let Some((child, last)) = item.split_once("::") {
                            let last = last.rsplit("::").next().unwrap();
                            reexports.insert(last.to_owned(), join(&name, child));
                        }
                    }
                }
            }
        }
        modules.insert(
            name,
            Module {
                path,
                code,
                declare_only,
                reexports,
            },
        );
    }
    modules
}

/// The file a path lands in: the longest module prefix, followed through re-exports.
fn resolve(modules: &BTreeMap<String, Module>, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    for n in (1..=parts.len()).rev() {
        let candidate = parts[..n].join("::");
        if let Some(module) = modules.get(&candidate) {
            if module.declare_only
                && let Some(next) = parts.get(n)
                && let Some(child) = module.reexports.get(*next)
            {
                return Some(child.clone());
            }
            return Some(candidate);
        }
    }
    None
}

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .filter(|(prefix, _)| module == *prefix || module.starts_with(&format!("{prefix}::")))
        .max_by_key(|(prefix, _)| prefix.len())
        .unwrap_or_else(|| panic!("{module} has no layer: add it to LAYERS and ARCHITECTURE.md"))
        .1
}

/// The module-level import graph of `src/` (declare-only parents have no edges of their own).
fn graph(modules: &BTreeMap<String, Module>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, module) in modules {
        let is_parent = module.path.file_name().is_some_and(|f| f == "mod.rs");
        let targets = edges.entry(name.clone()).or_default();
        if module.declare_only {
            continue;
        }
        for path in paths(name, is_parent, &module.code) {
            if let Some(target) = resolve(modules, &path)
                && &target != name
                && !modules[&target].declare_only
            {
                targets.insert(target);
            }
        }
    }
    edges
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

/// The tree to check: `src/`, or `ARCH_SRC` (to measure another checkout, e.g. an old commit).
fn src() -> PathBuf {
    std::env::var_os("ARCH_SRC").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        PathBuf::from,
    )
}

#[test]
fn no_file_imports_a_layer_above_it_without_a_reason() {
    let modules = load(&src());
    let edges = graph(&modules);
    let mut upward = Vec::new();
    for (from, targets) in &edges {
        for to in targets {
            let allowed = UPWARD_ALLOWED.iter().any(|(a, b, _)| a == from && b == to);
            if layer(to) > layer(from) && !allowed {
                upward.push(format!(
                    "{from} (layer {}) imports {to} (layer {})",
                    layer(from),
                    layer(to)
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports running upward:\n{}",
        upward.join("\n")
    );
    assert!(UPWARD_ALLOWED.len() <= 5, "a handful at most");
}

#[test]
fn no_import_circles_between_files() {
    let modules = load(&src());
    let found = circles(&graph(&modules));
    assert!(found.is_empty(), "import circles: {found:#?}");
}

#[test]
fn files_stay_small_enough_to_read() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let code = match text.find("#[cfg(test)]\nmod tests") {
                Some(i) => &text[..i],
                None => &text,
            };
            let lines = code.lines().count();
            (lines > MAX_FILE_LINES).then(|| format!("{}: {lines}", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "files to split by concept: {long:?}");
}

/// The checker itself finds what it must: a circle, an upward import, a re-export followed
/// through its parent, and no imports inside comments or strings.
#[test]
fn the_checker_sees_imports_in_code_only() {
    let code = strip(
        "use crate::a::{b, c::{D, E as F}};\n// crate::hidden\nlet s = \"crate::x\";\n\
         let c = '\"'; crate::g::h(); super::sib::f();",
    );
    let found = paths("m::n", false, &code);
    assert!(found.contains(&"a::b".to_owned()));
    assert!(found.contains(&"a::c::E".to_owned()));
    assert!(found.contains(&"g::h".to_owned()));
    assert!(found.contains(&"m::sib::f".to_owned()));
    assert!(!found.iter().any(|p| p.contains("hidden") || p == "x"));

    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    edges.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(circles(&edges), vec![vec!["a".to_owned(), "b".to_owned()]]);
    assert!(layer("routes::micropub::body") > layer("db::notes"));
    assert_eq!(layer("error_pages"), 6);
    assert_eq!(layer("error"), 0);
}
