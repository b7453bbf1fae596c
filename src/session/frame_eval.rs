//! `print EXPR` in a selected caller frame: the expression is compiled
//! into that frame's function at its line (an eval site, as at a stop:
//! `evaluate.rs`), and the stopped thread runs it over the caller's
//! locals, whose addresses the caller's DWARF gives. A local the frame
//! keeps only in a register has no address to hand over: the expression
//! cannot use it there.

use super::evaluate::{EvalKey, LoadedEval};
use super::Session;
use crate::patcher::BuiltFrom;
use anyhow::{anyhow, bail, Result};
use hotbreak_dwarf::Place;

impl Session {
    /// `print EXPR` in the selected frame.
    pub(super) fn frame_evaluate(&mut self, expr: &str) -> Result<()> {
        let stop = self.current_stop()?;
        let value = self.evaluate_in_frame(expr, expr)?;
        self.show(stop, expr, value)
    }

    /// `set PLACE = EXPR` in the selected frame: the assignment, then the
    /// place read back.
    pub(super) fn frame_set(&mut self, place: &str, value: &str) -> Result<()> {
        let stop = self.current_stop()?;
        let now = self.evaluate_in_frame(&format!("{{ {place} = ({value}); &{place} }}"), &format!("{place} = {value}"))?;
        if now.held {
            self.dbg.release_value(stop)?;
        }
        self.say(super::output::Out::Value { expr: place.to_string(), type_name: String::new(), value: now.view.summary, fields: Vec::new(), truncated: false });
        Ok(())
    }

    /// Runs `expr` (written `shown` by the user) in the selected frame.
    fn evaluate_in_frame(&mut self, expr: &str, shown: &str) -> Result<crate::debuggee::Evaluated> {
        let stop = self.current_stop()?;
        let n = self.selected_frame();
        let (frame, regs, pc) = self.selected_native()?;
        let (Some(file), Some((_, site))) = (frame.file.clone(), frame.at.clone()) else {
            bail!("`{}` has no debug info: an expression there cannot find its locals", frame.function);
        };
        let line = frame.line;
        let source = self.read_source(&file).map_err(|e| anyhow!("frame {n} is in {file}, which cannot be read: {e:#}"))?;
        let fn_site = hotbreak_rewriter::find_function(&source, line).map_err(|e| anyhow!("{file}:{line}: {e}"))?;
        let index = self.index_at(&file, &fn_site).ok_or_else(|| {
            anyhow!("{file}:{line}: `{}` is not debuggable, so an expression cannot be compiled into it; `print` takes a local and a path of fields here", fn_site.name)
        })?;
        // The function as it runs: its patch's build, else its source now
        // (the program runs the build's code, which the source still is
        // unless it was edited).
        let (generation, from) = match self.built.get(&index) {
            Some((generation, from)) => (*generation, from.clone()),
            None => {
                let key = self.dbg.hello.functions[index].key.clone();
                let from = BuiltFrom { file: file.clone(), source, function_line: line, key, breakpoints: Vec::new(), watches: Vec::new(), pruned: Default::default() };
                // Apart from every patch build's number.
                (u64::MAX - index as u64, from)
            }
        };
        let key: EvalKey = (self.dbg.hello.pid, generation, line, expr.to_string());
        let loaded = match self.evals.get(&key) {
            Some(loaded) => loaded.clone(),
            None => {
                self.say(super::output::Out::Info { message: format!("compiling `{shown}` at {file}:{line} (frame {n})…") });
                let slot = self.patcher_slot(&from.key, &from.file)?;
                let patcher = self.patchers.get_mut(&slot).expect("created by patcher_slot");
                let library = patcher.build_eval(&self.dbg, &from, line, expr).map_err(|e| anyhow!("{file}:{line}: {e:#}"))?;
                let eval = self.dbg.load_eval(&library.path)?;
                let loaded = LoadedEval { eval, names: library.names };
                self.evals.insert(key, loaded.clone());
                loaded
            }
        };
        let names = loaded.names.clone();
        let vars = self.with_program(|program, memory| program.variables(&site, pc, &regs, memory))?;
        let mut addrs = Vec::with_capacity(names.len());
        for name in &names {
            let var = vars.iter().rev().find(|v| &v.name == name).ok_or_else(|| anyhow!("`{name}` is not in frame {n}'s debug info at this line"))?;
            match &var.place {
                Place::Address(a) => addrs.push(*a),
                Place::OptimizedOut => bail!("`{name}` is optimized out in frame {n}: the expression cannot read it"),
                Place::Bytes(_) => bail!("`{name}` lives in registers in frame {n}, not in memory: the expression cannot take it (its value: `print {name}`)"),
                Place::Unavailable(why) => bail!("`{name}` is not available in frame {n}: {why}"),
            }
        }
        let value = self.dbg.eval_at(stop, loaded.eval, &names, addrs)?;
        if value.type_name.ends_with("::NotAvailableHere") {
            if value.held {
                self.dbg.release_value(stop)?;
            }
            bail!("`{shown}` is not available in frame {n} (moved, borrowed mutably or not set yet at this line)");
        }
        Ok(value)
    }
}
