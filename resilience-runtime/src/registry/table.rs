//! Plain-text tables for terminals.

use std::fmt;

/// A table with a title, aligned columns and one header row.
pub(crate) struct Table<'a> {
    title: &'a str,
    headers: &'a [&'a str],
    rows: Vec<Vec<String>>,
}

impl<'a> Table<'a> {
    pub(crate) fn new(title: &'a str, headers: &'a [&'a str]) -> Self {
        Self {
            title,
            headers,
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.is_empty() {
            return writeln!(f, "{}: none", self.title);
        }
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        writeln!(f, "{}", self.title)?;
        let line = |f: &mut fmt::Formatter<'_>, cells: &mut dyn Iterator<Item = &str>| {
            let mut text = String::from(" ");
            for (cell, width) in cells.zip(&widths) {
                text.push(' ');
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 1));
            }
            writeln!(f, "{}", text.trim_end())
        };
        line(f, &mut self.headers.iter().copied())?;
        let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
        line(f, &mut rule.iter().map(String::as_str))?;
        for row in &self.rows {
            line(f, &mut row.iter().map(String::as_str))?;
        }
        Ok(())
    }
}
