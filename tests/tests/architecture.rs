//! The shape of the workspace's code, checked: no import circle between modules in any crate,
//! and the runtime's floors point one way (ARCHITECTURE.md).
//!
//! A module is a file, or an inline `mod` block outside tests. Module `a` imports module `b`
//! when code of `a` outside tests names an item that `b` defines: through a `use`, or through a
//! path starting with `crate`, `self` or `super`. Paths through a re-export are followed to the
//! module that defines the item, so a facade that re-exports `b::X` is not a step between
//! `a` and `b`. Declaring `mod b;` is not an import. Intra-doc links and macro bodies are text
//! and not read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module's path from its crate root, e.g. `["base", "error"]`; empty for the root.
type ModPath = Vec<String>;

#[derive(Default)]
struct Module {
    file: PathBuf,
    children: BTreeSet<String>,
    /// `use` names: alias → the absolute path it stands for (a trailing `*` for globs).
    uses: BTreeMap<String, ModPath>,
    /// Absolute paths the module's code names, with the line.
    names: Vec<(ModPath, usize)>,
}

struct Crate {
    modules: BTreeMap<ModPath, Module>,
}

/// True for `#[cfg(test)]`, `#[cfg(all(test, loom))]` and the like.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && {
            let tokens = attr.meta.require_list().map(|list| list.tokens.to_string());
            tokens.is_ok_and(|tokens| {
                tokens
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| word == "test")
            })
        }
    })
}

impl Crate {
    fn load(src: &Path) -> Self {
        let mut krate = Self {
            modules: BTreeMap::new(),
        };
        krate.load_file(Vec::new(), &src.join("lib.rs"), src);
        krate
    }

    /// Reads module `path` from `file`; its children's files are under `dir`.
    fn load_file(&mut self, path: ModPath, file: &Path, dir: &Path) {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let syntax =
            syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        self.load_items(path, &syntax.items, file, dir);
    }

    fn load_items(&mut self, path: ModPath, items: &[syn::Item], file: &Path, dir: &Path) {
        self.modules.entry(path.clone()).or_default().file = file.to_owned();
        for item in items {
            match item {
                syn::Item::Mod(module) if is_test(&module.attrs) => {}
                syn::Item::Mod(module) => {
                    let name = module.ident.to_string();
                    self.modules
                        .get_mut(&path)
                        .expect("module just added")
                        .children
                        .insert(name.clone());
                    let mut child = path.clone();
                    child.push(name.clone());
                    match &module.content {
                        Some((_, items)) => self.load_items(child, items, file, &dir.join(&name)),
                        None => {
                            let flat = dir.join(format!("{name}.rs"));
                            let (file, child_dir) = if flat.exists() {
                                (flat, dir.join(&name))
                            } else {
                                (dir.join(&name).join("mod.rs"), dir.join(&name))
                            };
                            self.load_file(child, &file, &child_dir);
                        }
                    }
                }
                syn::Item::Use(item) if !is_test(&item.attrs) => {
                    let mut uses = Vec::new();
                    flatten_use(&item.tree, Vec::new(), &mut uses);
                    let line = item.use_token.span.start().line;
                    for (alias, relative) in uses {
                        let Some(absolute) = self.absolute(&path, &relative) else {
                            continue;
                        };
                        let module = self.modules.get_mut(&path).expect("module just added");
                        module.names.push((absolute.clone(), line));
                        if alias != "_" && alias != "*" {
                            module.uses.insert(alias, absolute);
                        }
                    }
                }
                item if is_test(item_attrs(item)) => {}
                item => {
                    let mut paths = PathCollector::default();
                    paths.visit_item(item);
                    for (relative, line) in paths.found {
                        if let Some(absolute) = self.absolute(&path, &relative) {
                            let module = self.modules.get_mut(&path).expect("module just added");
                            module.names.push((absolute, line));
                        }
                    }
                }
            }
        }
    }

    /// `relative` as seen from module `at`, from the crate root; `None` for other crates.
    /// Children of `at` declared after the path are not known yet: such paths are resolved
    /// again in [`Crate::edges`].
    fn absolute(&self, at: &ModPath, relative: &[String]) -> Option<ModPath> {
        let (first, rest) = relative.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => at.clone(),
            "super" => {
                let mut parent = at.clone();
                parent.pop();
                parent
            }
            _ => {
                // A name in scope: a child module or a `use` of this module; a path into
                // another crate otherwise (children declared later are found by the marker).
                let mut path = at.clone();
                path.push(format!("?{first}"));
                path.extend(rest.iter().cloned());
                return Some(path);
            }
        };
        let mut rest = rest;
        while let Some(("super", more)) = rest.split_first().map(|(s, m)| (s.as_str(), m)) {
            base.pop();
            rest = more;
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The module that defines what `path` names; `None` when it leads out of the crate.
    fn defining(&self, path: &[String], depth: usize) -> Option<ModPath> {
        if depth > 16 {
            return None;
        }
        let mut module: ModPath = Vec::new();
        for (index, segment) in path.iter().enumerate() {
            let here = self.modules.get(&module)?;
            if let Some(name) = segment.strip_prefix('?') {
                // A name in scope of `module`.
                if here.children.contains(name) {
                    module.push(name.to_owned());
                    continue;
                }
                let target = here.uses.get(name)?;
                let mut full = target.clone();
                full.extend(path[index + 1..].iter().cloned());
                return self.defining(&full, depth + 1);
            }
            if segment == "*" {
                return Some(module);
            }
            if here.children.contains(segment) {
                module.push(segment.clone());
            } else if let Some(target) = here.uses.get(segment) {
                let mut full = target.clone();
                full.extend(path[index + 1..].iter().cloned());
                return self.defining(&full, depth + 1);
            } else {
                return Some(module);
            }
        }
        Some(module)
    }

    /// Every import between two modules, with where it is written.
    fn edges(&self) -> BTreeMap<(ModPath, ModPath), String> {
        let mut edges = BTreeMap::new();
        for (path, module) in &self.modules {
            for (name, line) in &module.names {
                let Some(target) = self.defining(name, 0) else {
                    continue;
                };
                // A module's own items, its descendants' through it, and its ancestors as
                // plain containers are not imports between two modules: only a named item is.
                if target == *path {
                    continue;
                }
                edges
                    .entry((path.clone(), target))
                    .or_insert_with(|| format!("{}:{line}", module.file.display()));
            }
        }
        edges
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Macro(item) => &item.attrs,
        syn::Item::Static(item) => &item.attrs,
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Trait(item) => &item.attrs,
        syn::Item::Type(item) => &item.attrs,
        _ => &[],
    }
}

fn flatten_use(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<(String, Vec<String>)>) {
    let with = |segment: String| {
        let mut path = prefix.clone();
        path.push(segment);
        path
    };
    match tree {
        syn::UseTree::Path(path) => flatten_use(&path.tree, with(path.ident.to_string()), out),
        syn::UseTree::Name(name) if name.ident == "self" => {
            if let Some(last) = prefix.last() {
                out.push((last.clone(), prefix.clone()));
            }
        }
        syn::UseTree::Name(name) => {
            out.push((name.ident.to_string(), with(name.ident.to_string())))
        }
        syn::UseTree::Rename(rename) => {
            out.push((rename.rename.to_string(), with(rename.ident.to_string())));
        }
        syn::UseTree::Glob(_) => out.push((String::from("*"), with(String::from("*")))),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten_use(tree, prefix.clone(), out);
            }
        }
    }
}

/// Paths in code that start at `crate`, `self` or `super`, or at a name in scope; test
/// modules and items are skipped.
#[derive(Default)]
struct PathCollector {
    found: Vec<(Vec<String>, usize)>,
}

impl<'ast> Visit<'ast> for PathCollector {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segments: Vec<String> = path
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect();
            if segments[0] != "Self" {
                self.found
                    .push((segments, path.segments[0].ident.span().start().line));
            }
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut uses = Vec::new();
        flatten_use(&item.tree, Vec::new(), &mut uses);
        let line = item.use_token.span.start().line;
        self.found
            .extend(uses.into_iter().map(|(_, path)| (path, line)));
    }

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if !is_test(&module.attrs) {
            syn::visit::visit_item_mod(self, module);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test(&item.attrs) {
            syn::visit::visit_item_fn(self, item);
        }
    }
}

fn display(path: &ModPath) -> String {
    if path.is_empty() {
        String::from("crate")
    } else {
        path.join("::")
    }
}

/// The circles of the import graph: its strongly connected components with more than one
/// module (Tarjan's algorithm).
fn circles(edges: &BTreeMap<(ModPath, ModPath), String>) -> Vec<Vec<ModPath>> {
    let mut graph: BTreeMap<&ModPath, Vec<&ModPath>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from).or_default().push(to);
        graph.entry(to).or_default();
    }
    struct Walk<'a> {
        graph: &'a BTreeMap<&'a ModPath, Vec<&'a ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a ModPath) {
            let next = self.index.len();
            self.index.insert(node, next);
            self.low.insert(node, next);
            self.stack.push(node);
            self.on_stack.insert(node);
            for &target in &self.graph[node] {
                if !self.index.contains_key(target) {
                    self.visit(target);
                    let low = self.low[node].min(self.low[target]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(target) {
                    let low = self.low[node].min(self.index[target]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.clone());
                    if member == node {
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
    let mut walk = Walk {
        graph: &graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.found
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_owned()
}

fn describe_circles(name: &str, krate: &Crate) -> String {
    let edges = krate.edges();
    let mut report = String::new();
    for circle in circles(&edges) {
        let members: BTreeSet<&ModPath> = circle.iter().collect();
        let _ = writeln!(
            report,
            "{name}: import circle between {}:",
            circle.iter().map(display).collect::<Vec<_>>().join(", ")
        );
        for ((from, to), at) in &edges {
            if members.contains(from) && members.contains(to) {
                let _ = writeln!(report, "  {} -> {} ({at})", display(from), display(to));
            }
        }
    }
    report
}

#[test]
fn no_crate_has_an_import_circle() {
    let root = workspace();
    let mut report = String::new();
    for name in [
        "resilience-syntax",
        "resilience-macros",
        "resilience-runtime",
    ] {
        let krate = Crate::load(&root.join(name).join("src"));
        report.push_str(&describe_circles(name, &krate));
    }
    assert!(report.is_empty(), "\n{report}");
}

/// The runtime's floors, lowest first: a module may import only from its own top-level
/// module or from a lower floor.
const FLOORS: &[(&str, &[&str])] = &[
    ("base", &["base"]),
    (
        "policies",
        &[
            "circuit_breaker",
            "rate_limit",
            "bulkhead",
            "retry",
            "timeout",
            "chaos",
            "hedge",
            "quota",
        ],
    ),
    ("settings", &["settings"]),
    ("registry", &["registry"]),
    (
        "facades",
        &[
            "config",
            "clock",
            "fallback",
            "http",
            "metrics",
            "spans",
            "status",
            "testing",
            "tower",
            "__private",
            "",
        ],
    ),
];

fn floor_of(path: &ModPath) -> Option<(usize, &'static str)> {
    let top = path.first().map_or("", String::as_str);
    FLOORS
        .iter()
        .enumerate()
        .find(|(_, (_, members))| members.contains(&top))
        .map(|(index, (name, _))| (index, *name))
}

#[test]
fn the_runtime_imports_only_downward() {
    let krate = Crate::load(&workspace().join("resilience-runtime").join("src"));
    let mut report = String::new();
    for ((from, to), at) in krate.edges() {
        if from.first() == to.first() && !from.is_empty() {
            continue;
        }
        let (Some((from_floor, from_name)), Some((to_floor, to_name))) =
            (floor_of(&from), floor_of(&to))
        else {
            let _ = writeln!(
                report,
                "{} or {} is on no floor: add it to FLOORS and ARCHITECTURE.md ({at})",
                display(&from),
                display(&to)
            );
            continue;
        };
        let facade_to_facade = from_name == "facades" && to_name == "facades";
        if to_floor >= from_floor && !facade_to_facade {
            let _ = writeln!(
                report,
                "{} ({from_name}) imports {} ({to_name}) at {at}",
                display(&from),
                display(&to)
            );
        }
    }
    assert!(report.is_empty(), "\n{report}");
}
