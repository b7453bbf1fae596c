//! `print EXPR` and `set PLACE = EXPR` at a stop.
//!
//! A local or a path of fields into one is answered from its `Debug` text
//! at once. Anything else is compiled: the stopped function again, with an
//! eval site at the stop's line (`Patcher::build_eval`), loaded beside the
//! running patch and run by the stopped thread over its own locals. A
//! library is kept per (function build, line, expression): the same
//! expression at the same line runs again without a build.

use super::command::parse_path;
use super::output::Out;
use super::Session;
use crate::debuggee::Evaluated;
use anyhow::{anyhow, bail, Result};

/// A loaded eval library: its index in the program and the locals it takes.
#[derive(Debug, Clone)]
pub(super) struct LoadedEval {
    pub eval: usize,
    pub names: Vec<String>,
}

/// What identifies an eval library: the process, the function's build,
/// the stop line and the expression.
pub(super) type EvalKey = (u32, u64, u32, String);

impl Session {
    /// The timings of the last eval library this session built, if any
    /// (what `HOTBREAK_TIMINGS` prints; the benchmark reads them).
    pub fn last_eval_timings(&self) -> Option<crate::Timings> {
        self.last_eval
    }

    pub(super) fn print(&mut self, expr: &str) -> Result<()> {
        let stop = self.current_stop()?;
        if let Ok((name, path)) = parse_path(expr) {
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            // `$N`: a value evaluated at this stop; else a local with
            // `Debug`, or one its debug info describes.
            let local = self.dbg.locals(stop)?.into_iter().rev().find(|v| v.name == name);
            if name.starts_with('$') || local.as_ref().is_some_and(|v| v.debug) {
                match self.dbg.inspect(stop, &name, &parts) {
                    Ok(view) => {
                        let (type_name, value, fields) = (view.type_name, view.summary, view.children);
                        self.say(Out::Value { expr: expr.to_string(), type_name, value, fields, truncated: view.truncated });
                        return Ok(());
                    }
                    // A field a custom `Debug` does not show: debug info or
                    // a build answer it.
                    Err(_) if !path.is_empty() && !name.starts_with('$') => {}
                    Err(e) => return Err(e),
                }
            }
            if let Some(local) = local.filter(|v| v.marker != 0) {
                if let Ok(node) = self.render_value(local.marker, local.address, &path) {
                    let type_name = if path.is_empty() { local.type_name } else { node.type_name };
                    self.say(Out::Value { expr: expr.to_string(), type_name, value: node.summary, fields: node.children, truncated: node.truncated });
                    return Ok(());
                }
            }
        }
        let value = self.evaluate(stop, expr, expr)?;
        self.show(stop, expr, value)
    }

    /// A value from the program's debug info and memory (see `values.rs`).
    pub(super) fn render_value(&mut self, marker: u64, address: u64, path: &[String]) -> Result<hotbreak_dwarf::Node> {
        if self.values.is_none() {
            self.values = Some(super::values::Values::new(&self.host, &self.dbg)?);
        }
        self.values.as_mut().expect("made above").render(&mut self.dbg, marker, address, path)
    }

    pub(super) fn set(&mut self, place: &str, value: &str) -> Result<()> {
        let stop = self.current_stop()?;
        // The assignment, then the place read back: what the program sees now.
        let expr = format!("{{ {place} = ({value}); &{place} }}");
        let shown = format!("{place} = {value}");
        let now = self.evaluate(stop, &expr, &shown)?;
        if now.held {
            self.dbg.release_value(stop)?;
        }
        self.say(Out::Value { expr: place.to_string(), type_name: String::new(), value: now.view.summary, fields: Vec::new(), truncated: false });
        Ok(())
    }

    pub(super) fn show(&mut self, stop: u64, expr: &str, value: Evaluated) -> Result<()> {
        let type_name = value.type_name.clone();
        let mut view = value.view;
        // Without `Debug`: from debug info, where the value lives (a place
        // of the frame, behind a reference, or a temporary held for this).
        if !value.debug && value.address != 0 && value.marker != 0 {
            if let Ok(node) = self.render_value(value.marker, value.address, &[]) {
                view.summary = node.summary;
                view.children = node.children;
                view.truncated = node.truncated;
            }
        }
        if value.held {
            self.dbg.release_value(stop)?;
        }
        self.say(Out::Value { expr: expr.to_string(), type_name, value: view.summary, fields: view.children, truncated: view.truncated });
        Ok(())
    }

    /// Runs `expr` at `stop`, building its eval library first unless this
    /// build of the function has it for this line.
    /// `shown` is how the user wrote it.
    fn evaluate(&mut self, stop: u64, expr: &str, shown: &str) -> Result<Evaluated> {
        let event = self.stops.iter().find(|s| s.stop == stop).cloned().ok_or_else(|| anyhow!("no stop #{stop}"))?;
        let index = self
            .dbg
            .hello
            .functions
            .iter()
            .position(|f| f.key == event.function)
            .ok_or_else(|| match event.function.is_empty() {
                // A panic stop: the thread is in std's panic hook.
                true => anyhow!("a panic stop has no locals of its own to evaluate in (the thread is inside the panic hook)"),
                false => anyhow!("`{}` is not in the program's registry", event.function),
            })?;
        if self.several_instances.contains(&index) {
            // The eval library's site is instantiated for the instances the
            // defining crate makes, whichever it is: run at a stop in
            // another, it would read that instance's locals as another type.
            bail!(
                "{}:{}: `{}` is generic and the program runs several instances of it: an expression is not compiled at its stops yet (locals and paths of fields into them are shown: `print NAME.FIELD`)",
                event.file,
                event.line,
                event.name
            );
        }
        let (generation, from) = self.built.get(&index).cloned().ok_or_else(|| {
            anyhow!("{}:{}: `{}` runs code this session did not build (was it rebuilt since?): cannot evaluate here", event.file, event.line, event.name)
        })?;
        let key: EvalKey = (self.dbg.hello.pid, generation, event.line, expr.to_string());
        let loaded = match self.evals.get(&key) {
            Some(loaded) => loaded.clone(),
            None => {
                self.say(Out::Info { message: format!("compiling `{shown}` at {}:{}…", event.file, event.line) });
                let slot = self.patcher_slot(&from.key, &from.file)?;
                let patcher = self.patchers.get_mut(&slot).expect("created by patcher_slot");
                let library = patcher.build_eval(&self.dbg, &from, event.line, expr).map_err(|e| anyhow!("{}:{}: {e:#}", event.file, event.line))?;
                self.last_eval = Some(library.timings);
                if std::env::var_os("HOTBREAK_TIMINGS").is_some() {
                    eprintln!("hotbreak: eval `{shown}`: {}", library.timings);
                }
                let eval = self.dbg.load_eval(&library.path)?;
                let loaded = LoadedEval { eval, names: library.names };
                self.evals.insert(key, loaded.clone());
                loaded
            }
        };
        let value = self.dbg.eval(stop, loaded.eval, &loaded.names).map_err(|e| {
            // A panic in the expression's own code is located at the eval
            // site (the stop's line or the one before): say nothing of it.
            let text = format!("{e:#}");
            let site = [format!(" (at {}:{})", event.file, event.line), format!(" (at {}:{})", event.file, event.line.saturating_sub(1))];
            anyhow!("{}", site.iter().fold(text, |t, s| t.replace(s.as_str(), "")))
        })?;
        if value.type_name.ends_with("::NotAvailableHere") {
            if value.held {
                self.dbg.release_value(stop)?;
            }
            bail!("`{shown}` is not available at this stop (moved, borrowed mutably or not set yet at this line)");
        }
        Ok(value)
    }
}
