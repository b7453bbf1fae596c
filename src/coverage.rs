//! Which of a generic function's instances in the program a patch covers,
//! and what is said about those it does not.

use hotbreak_hotreload::patch::GenericPatch;

/// Which of a generic function's instances in the program a patch covers,
/// and which of a function's breakpoint lines its returned closures run
/// outside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub covered: Vec<String>,
    pub not_covered: Vec<String>,
    /// Breakpoint lines in closures of a function returning `impl Trait`:
    /// a closure it returns is called by the caller's native code.
    pub escaping: Vec<u32>,
    /// Optimized builds: the functions holding an inlined copy of it, whose
    /// check may run once before a loop (ARCHITECTURE.md, "The entry
    /// check"): a loop of theirs already running keeps native code.
    pub inlined_into: Vec<String>,
    /// Why the downstream crate making the instances not covered could not
    /// be compiled against the patch.
    pub downstream_failed: Option<String>,
}

impl Coverage {
    /// `` `f`: covers f::<u8>, f::<String>; not covered (native code): f::<T> ``.
    pub fn describe(&self, function: &str) -> String {
        let inlined = match self.inlined_into.as_slice() {
            [] => String::new(),
            into => format!(
                "optimized build: `{function}` is inlined into {}; a call of those already running keeps its native code \
                 there (its check may be read once, before a loop) until that function is called again",
                into.join(", ")
            ),
        };
        if self.covered.is_empty() && self.not_covered.is_empty() && self.escaping.is_empty() {
            return inlined;
        }
        let mut s = match (self.covered.is_empty(), self.not_covered.is_empty()) {
            (true, true) => format!("`{function}`: covers its own calls"),
            (true, false) => format!("`{function}`: the patch covers none of its instances in the program"),
            (false, _) => format!("`{function}`: covers {}", self.covered.join(", ")),
        };
        let mut missing = self.not_covered.clone();
        for line in &self.escaping {
            missing.push(format!("line {line} when its closure runs after `{function}` returned it (the caller calls the program's copy)"));
        }
        if !missing.is_empty() {
            s.push_str(&format!("; not covered, these run their native code: {}", missing.join(", ")));
            if let Some(why) = &self.downstream_failed {
                s.push_str(&format!(" ({why})"));
            }
        }
        if !inlined.is_empty() {
            s.push_str(&format!("; {inlined}"));
        }
        s
    }
}

/// The instance table of a generic function's patch loaded at `base`, for
/// the host's `instances` (link-time addresses, loaded with `bias`): each
/// host instance the patch has under the same name, at runtime addresses.
/// Host instances the patch lacks are named as not covered.
pub(crate) fn instance_table(instances: &[(String, String, u64)], patch: &GenericPatch, bias: u64, base: u64) -> (Vec<(u64, u64)>, Coverage) {
    // `f::<u8>` for a free fn; a method's instance differs in its self
    // type: `<krate::W<u8>>::m` whole.
    let short = |name: &str| {
        let path = &patch.pattern.path;
        let from = if path.starts_with('<') { 0 } else { path.rfind("::").map_or(0, |i| i + 2) };
        name.get(from..).unwrap_or(name).to_string()
    };
    let mut table = Vec::new();
    let mut coverage = Coverage::default();
    for (name, symbol, host_addr) in instances {
        // The very symbol first: a lib and a bin of one package are both
        // `plain`, so `plain::f::<plain::Thing>` may be either's type; by
        // name only when no symbol matches (an async fn's adapters).
        let same_symbol = patch.symbols.iter().find(|(s, _)| s == symbol);
        let same_name = || patch.instances.iter().find(|(n, _)| n == name);
        match same_symbol.or_else(same_name) {
            Some((_, patch_addr)) => {
                table.push((host_addr.wrapping_add(bias), patch_addr.wrapping_add(base)));
                coverage.covered.push(short(name));
            }
            None => coverage.not_covered.push(short(name)),
        }
    }
    for names in [&mut coverage.covered, &mut coverage.not_covered] {
        names.sort();
        names.dedup();
    }
    (table, coverage)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instance only the program has (made by a crate the patch build
    /// does not compile) is named as not covered, never left out silently.
    #[test]
    fn instances_the_patch_lacks_are_named_not_covered() {
        let host = [
            ("k::m::f::<u8>".to_string(), "_RINvNtCs1_1k1m1fhEB4_".to_string(), 0x100),
            ("k::m::f::<bin::Thing>".to_string(), "_RINvNtCs1_1k1m1fNtCs2_3bin5ThingEB_".to_string(), 0x200),
            ("k::m::f::<u8>".to_string(), "_RINvNtCs1_1k1m1fhEB4_.llvm.77".to_string(), 0x300),
        ];
        let patch = GenericPatch {
            pattern: hotbreak_hotreload::instances::InstancePattern::from_anchor("k::m::f::__HB_HERE").unwrap(),
            anchor: 0x40,
            instances: vec![("k::m::f::<u8>".into(), 0x10), ("k::m::f::<u16>".into(), 0x20)],
            symbols: vec![("_RINvNtCs1_1k1m1fhEB4_".into(), 0x10), ("_RINvNtCs1_1k1m1ftEB4_".into(), 0x20)],
        };
        let (table, coverage) = instance_table(&host, &patch, 0x1000, 0x9000);
        assert_eq!(table, [(0x1100, 0x9010), (0x1300, 0x9010)], "both copies of f::<u8> go to the patch's");
        assert_eq!(coverage.covered, ["f::<u8>"]);
        assert_eq!(coverage.not_covered, ["f::<bin::Thing>"]);
        assert_eq!(
            coverage.describe("f"),
            "`f`: covers f::<u8>; not covered, these run their native code: f::<bin::Thing>"
        );
        let escaping = Coverage { escaping: vec![12], ..Coverage::default() };
        assert_eq!(
            escaping.describe("adder"),
            "`adder`: covers its own calls; not covered, these run their native code: \
             line 12 when its closure runs after `adder` returned it (the caller calls the program's copy)"
        );
    }

}
