//! A function returning `impl Trait` is compiled into its callers with the
//! program's hidden type: the patch must return exactly that type, or the
//! callers would read its value with another layout. Its callers cannot be
//! patched with it (they are other functions), so a patch whose hidden
//! type differs is refused before it loads, and the program keeps running
//! its current code. The check compares the return type as both builds'
//! debug info describe it (`hotbreak_dwarf::return_layouts`): names, sizes
//! and offsets of every member, through closures' captures.

use anyhow::{bail, Result};
use hotbreak_hotreload::host::{HostSymbols, Lookup};
use hotbreak_hotreload::instances::demangled;
use hotbreak_hotreload::patch::LinkedPatch;

/// Refuses `linked`, a patch of `name` (`file:fn_line`), when it returns
/// another hidden type than the program in any instance it covers.
pub fn refuse_another(host: &HostSymbols, linked: &LinkedPatch, file: &str, fn_line: u32, name: &str) -> Result<()> {
    // The function's instances by demangled name, with their addresses in the host.
    let wanted: Vec<(String, u64)> = match (&linked.generic, &linked.replaced) {
        (Some(generic), _) => host.instances(&generic.pattern).into_iter().filter(|(n, _)| generic.instances.iter().any(|(p, _)| p == n)).collect(),
        (None, Some(symbol)) => match host.lookup(symbol) {
            Lookup::Address(a) => vec![(demangled(symbol), a)],
            _ => bail!("{file}:{fn_line}: refusing the patch of `{name}`: the program has no symbol {symbol} to compare its `impl Trait` return with"),
        },
        (None, None) => return Ok(()),
    };
    if wanted.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = wanted.iter().map(|(n, _)| n.as_str()).collect();
    let key_of = |linkage: &str| {
        let d = demangled(linkage);
        names.contains(&d.as_str()).then_some(d)
    };
    let addresses: Vec<u64> = wanted.iter().map(|(_, a)| *a).collect();
    let in_program = hotbreak_dwarf::return_layouts(&host.path, Some(&addresses), &key_of).unwrap_or_default();
    let in_patch = hotbreak_dwarf::return_layouts(&linked.path, None, &key_of).map_err(anyhow::Error::msg)?;
    for instance in names {
        let Some(program) = in_program.get(instance) else {
            bail!(
                "{file}:{fn_line}: refusing the patch of `{name}`: it returns `impl Trait`, and the program's debug info does not \
                 describe what `{instance}` returns, so the patch cannot be checked to return the same hidden type \
                 (build the program with debug info, e.g. `debug = 1` in its profile); the program runs on unchanged"
            );
        };
        match in_patch.get(instance) {
            Some(patch) if patch == program => {}
            patch => bail!(
                "{file}:{fn_line}: refusing the patch of `{name}`: it returns `impl Trait`, and the edit changes its hidden type \
                 ({} instead of {}), which the program's callers were compiled for. The program runs on with its current code; \
                 restart it to run this version",
                patch.map_or("an unknown type".to_string(), |p| type_of(p)),
                type_of(program)
            ),
        }
    }
    Ok(())
}

/// The outermost type's name in a layout description (`structure_type
/// Filter<..> size=16 ..`).
fn type_of(layout: &str) -> String {
    let mut words = layout.split(' ');
    let _tag = words.next();
    let rest: Vec<&str> = words.take_while(|w| !w.starts_with("size=") && *w != "{" && *w != ":").collect();
    format!("`{}`", rest.join(" "))
}

