//! Values whose type has no `Debug`, rendered from the program's debug
//! info (`hotbreak-dwarf`) and its memory, which the agent reads for us.
//!
//! A value comes with the address of `type_marker::<T>` for its type; the
//! marker's debug info (in the host or in a loaded patch) names `T`.

use crate::debuggee::Debuggee;
use crate::HostBuild;
use anyhow::{anyhow, Result};
use hotbreak::protocol::ANCHOR_SYMBOL;
use hotbreak_dwarf::{Memory, Node, Program};
use std::cell::RefCell;
use std::collections::HashMap;

/// The debug info of the executable and of each library the program
/// loaded, added as they come.
pub(super) struct Values {
    program: Program,
    /// How many of the debuggee's libraries are in `program`.
    libraries: usize,
}

impl Values {
    pub(super) fn new(host: &HostBuild, dbg: &Debuggee) -> Result<Values> {
        let mut program = Program::new();
        let bias = host.symbols.load_bias(ANCHOR_SYMBOL, dbg.hello.anchor)?;
        program.add_object(&host.executable, bias).map_err(|e| anyhow!("{}: {e}", host.executable.display()))?;
        Ok(Values { program, libraries: 0 })
    }

    /// Adds the libraries the program loaded since the last look.
    fn catch_up(&mut self, dbg: &Debuggee) {
        for (library, base) in &dbg.libraries[self.libraries..] {
            // A library without debug info only lacks its types.
            let _ = self.program.add_object(library, *base);
        }
        self.libraries = dbg.libraries.len();
    }

    /// Runs `f` over the program's debug info and its memory (as it is now).
    pub(super) fn with_program<T>(&mut self, dbg: &mut Debuggee, f: impl FnOnce(&Program, &dyn Memory) -> T) -> T {
        self.catch_up(dbg);
        let memory = Remote { dbg: RefCell::new(dbg), pages: RefCell::new(HashMap::new()) };
        f(&self.program, &memory)
    }

    /// The value of the type whose marker is at `marker`, at `address`,
    /// expanded along `path`.
    pub(super) fn render(&mut self, dbg: &mut Debuggee, marker: u64, address: u64, path: &[String]) -> Result<Node> {
        self.catch_up(dbg);
        let ty = self.program.type_of_marker(marker).ok_or_else(|| anyhow!("no debug info names this value's type (a build without debuginfo?)"))?;
        let memory = Remote { dbg: RefCell::new(dbg), pages: RefCell::new(HashMap::new()) };
        self.program.render(ty, address, path, &memory).map_err(|e| anyhow!("{e}"))
    }
}

const PAGE: u64 = 4096;

/// The stopped program's memory, a page per request, each page read once
/// per rendering (the value does not change while its thread is stopped).
struct Remote<'a> {
    dbg: RefCell<&'a mut Debuggee>,
    pages: RefCell<HashMap<u64, Option<Vec<u8>>>>,
}

impl Remote<'_> {
    fn page(&self, start: u64) -> Option<Vec<u8>> {
        if let Some(page) = self.pages.borrow().get(&start) {
            return page.clone();
        }
        let page = self.dbg.borrow_mut().read_memory(start, PAGE).ok();
        self.pages.borrow_mut().insert(start, page.clone());
        page
    }
}

impl Memory for Remote<'_> {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = addr.checked_add(done as u64).ok_or_else(|| format!("cannot read at {addr:#x}"))?;
            let start = at - at % PAGE;
            let Some(page) = self.page(start) else {
                // Readable bytes may still end inside an unreadable page.
                let bytes = self.dbg.borrow_mut().read_memory(at, (buf.len() - done) as u64).map_err(|e| format!("{e:#}"))?;
                buf[done..].copy_from_slice(&bytes);
                return Ok(());
            };
            let from = (at - start) as usize;
            let n = (page.len() - from).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&page[from..from + n]);
            done += n;
        }
        Ok(())
    }
}
