//! The breakpoint table, saved per workspace under the hotbreak target dir.

use hotbreak_rewriter::HitCount;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not armed yet (no program, or not built).
    Pending,
    /// Compiled into the patch of this registry function.
    Armed { function: usize },
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Bp {
    pub id: u32,
    /// As rustc names it (relative to the workspace).
    pub file: String,
    pub line: u32,
    /// The line's text when set, to follow it when the source moves.
    pub text: String,
    pub condition: Option<String>,
    pub hits: Option<HitCount>,
    pub log: Option<String>,
    pub enabled: bool,
    /// Set by `until`: removed when reached, never saved.
    pub temporary: bool,
    pub state: State,
}

/// What is saved of a breakpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Saved {
    file: String,
    line: u32,
    text: String,
    condition: Option<String>,
    hits: Option<String>,
    log: Option<String>,
    enabled: bool,
}

pub struct Table {
    pub list: Vec<Bp>,
    next_id: u32,
    /// `None`: kept in memory only.
    path: Option<PathBuf>,
}

impl Table {
    /// The table saved at `path`, or an empty one.
    pub fn load(path: &Path) -> Table {
        let saved: Vec<Saved> = std::fs::read_to_string(path).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let list: Vec<Bp> = saved
            .into_iter()
            .enumerate()
            .map(|(i, s)| Bp {
                id: i as u32 + 1,
                file: s.file,
                line: s.line,
                text: s.text,
                condition: s.condition,
                hits: s.hits.as_deref().and_then(parse_hits),
                log: s.log,
                enabled: s.enabled,
                temporary: false,
                state: State::Pending,
            })
            .collect();
        Table { next_id: list.len() as u32 + 1, list, path: Some(path.to_path_buf()) }
    }

    /// An empty table that is never saved.
    pub fn unsaved() -> Table {
        Table { list: Vec::new(), next_id: 1, path: None }
    }

    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let saved: Vec<Saved> = self
            .list
            .iter()
            .filter(|b| !b.temporary)
            .map(|b| Saved {
                file: b.file.clone(),
                line: b.line,
                text: b.text.clone(),
                condition: b.condition.clone(),
                hits: b.hits.map(hits_text),
                log: b.log.clone(),
                enabled: b.enabled,
            })
            .collect();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(&saved).map_err(std::io::Error::other)?)
    }

    pub fn add(&mut self, mut bp: Bp) -> u32 {
        bp.id = self.next_id;
        self.next_id += 1;
        self.list.push(bp);
        self.next_id - 1
    }

    pub fn get(&self, id: u32) -> Option<&Bp> {
        self.list.iter().find(|b| b.id == id)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut Bp> {
        self.list.iter_mut().find(|b| b.id == id)
    }

    pub fn remove(&mut self, id: u32) -> Option<Bp> {
        let at = self.list.iter().position(|b| b.id == id)?;
        Some(self.list.remove(at))
    }
}

pub fn hits_text(h: HitCount) -> String {
    match h {
        HitCount::Equal(n) => format!("= {n}"),
        HitCount::AtLeast(n) => format!(">= {n}"),
        HitCount::Every(n) => format!("% {n}"),
    }
}

fn parse_hits(s: &str) -> Option<HitCount> {
    let (op, n) = s.split_once(' ')?;
    let n = n.parse().ok()?;
    Some(match op {
        ">=" => HitCount::AtLeast(n),
        "%" => HitCount::Every(n),
        _ => HitCount::Equal(n),
    })
}

/// Where a breakpoint set on `line` with `text` is now: the same line if its
/// text is unchanged, else the nearest line with that text, else `None`.
pub fn reanchor(source: &str, line: u32, text: &str) -> Option<u32> {
    let want = text.trim();
    let lines: Vec<&str> = source.lines().collect();
    if lines.get(line as usize - 1).is_some_and(|l| l.trim() == want) {
        return Some(line);
    }
    (1..=lines.len() as u32).filter(|&n| lines[n as usize - 1].trim() == want).min_by_key(|&n| n.abs_diff(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakpoints_follow_their_text() {
        let src = "a\nb\n  target();\nc\n";
        assert_eq!(reanchor(src, 3, "target();"), Some(3));
        let moved = "new\na\nb\n\n  target();\nc\n";
        assert_eq!(reanchor(moved, 3, "target();"), Some(5));
        assert_eq!(reanchor(moved, 3, "gone();"), None);
    }

    #[test]
    fn the_table_round_trips_through_its_file() {
        let dir = std::env::temp_dir().join(format!("hotbreak-bp-test-{}", std::process::id()));
        let path = dir.join("breakpoints.json");
        let mut t = Table::load(&path);
        let bp = Bp {
            id: 0,
            file: "src/main.rs".into(),
            line: 4,
            text: "x += 1;".into(),
            condition: Some("x > 2".into()),
            hits: Some(HitCount::Every(3)),
            log: None,
            enabled: false,
            temporary: false,
            state: State::Armed { function: 1 },
        };
        assert_eq!(t.add(bp), 1);
        t.save().unwrap();
        let back = Table::load(&path);
        let b = &back.list[0];
        assert_eq!((b.id, b.line, b.condition.as_deref(), b.hits, b.enabled, &b.state), (1, 4, Some("x > 2"), Some(HitCount::Every(3)), false, &State::Pending));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
