//! Separate processes for the fleet tests: this test binary runs again, with one test selected,
//! as each "replica" of a service sharing one real server. The parent hands each child a file to
//! write its report to; a child that finds no such file in its environment is a normal run of
//! the test and does nothing. `#[path]`-included next to `redis_server.rs`, whose `TempDir`
//! holds the reports.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::redis_server::TempDir;

/// The variable naming the file a child writes its report to.
const CHILD_OUT: &str = "RESILIENCE_TEST_CHILD_OUT";
/// The variable holding a child's index among its siblings (0, 1, ...).
const CHILD_INDEX: &str = "RESILIENCE_TEST_CHILD_INDEX";

/// In a child: its index and the file to write its report to. `None` in a normal run.
pub fn child() -> Option<(usize, PathBuf)> {
    let out = std::env::var_os(CHILD_OUT)?;
    let index = std::env::var(CHILD_INDEX).ok()?.parse().ok()?;
    Some((index, PathBuf::from(out)))
}

/// Children running the test `test` of this binary, started at once.
pub struct Children {
    children: Vec<(Child, PathBuf)>,
    _reports: TempDir,
}

impl Children {
    /// Starts `count` processes of this binary, each running the test named `test` alone,
    /// with the variables `env` set in each.
    ///
    /// # Panics
    ///
    /// When the binary cannot be run again.
    pub fn spawn(test: &str, count: usize, env: &[(&str, &str)]) -> Self {
        let reports = TempDir::new("children");
        let me = std::env::current_exe().expect("the test binary's path");
        let children = (0..count)
            .map(|index| {
                let out = reports.0.join(format!("child-{index}.txt"));
                let child = Command::new(&me)
                    .args([test, "--exact", "--test-threads=1", "--quiet"])
                    .envs(env.iter().copied())
                    .env(CHILD_OUT, &out)
                    .env(CHILD_INDEX, index.to_string())
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("the test binary runs again");
                (child, out)
            })
            .collect();
        Self {
            children,
            _reports: reports,
        }
    }

    /// Waits for every child and answers their reports, in index order.
    ///
    /// # Panics
    ///
    /// When a child failed or wrote no report.
    pub fn reports(self) -> Vec<String> {
        self.children
            .into_iter()
            .enumerate()
            .map(|(index, (mut child, out))| {
                let status = child.wait().expect("a child process to wait for");
                assert!(status.success(), "child process {index} failed: {status}");
                std::fs::read_to_string(&out)
                    .unwrap_or_else(|_| panic!("child process {index} wrote no report"))
            })
            .collect()
    }
}
