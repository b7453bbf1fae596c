//! Medians with their spread, printed for people.

#[derive(Debug, Default, Clone)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn push(&mut self, v: f64) {
        self.0.push(v)
    }

    pub fn extend(&mut self, other: &Samples) {
        self.0.extend_from_slice(&other.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    }

    pub fn median(&self) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let mid = v.len() / 2;
        if v.len() % 2 == 1 {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        }
    }

    fn range(&self) -> (f64, f64) {
        let v = self.sorted();
        (v.first().copied().unwrap_or(f64::NAN), v.last().copied().unwrap_or(f64::NAN))
    }

    /// `median (min..max)` in a fitting unit.
    pub fn show(&self) -> String {
        let (lo, hi) = self.range();
        format!("{} ({}..{})", fmt_ns(self.median()), fmt_ns(lo), fmt_ns(hi))
    }

    /// Like [`Samples::show`], in milliseconds.
    pub fn show_ms(&self) -> String {
        let (lo, hi) = self.range();
        format!("{:.0} ms ({:.0}..{:.0})", self.median() / 1e6, lo / 1e6, hi / 1e6)
    }

    /// Ratio of medians, with the ratio of the extremes as spread, and the
    /// ratio of the fastest runs: on a shared machine other load only ever
    /// adds time, so the fastest runs are the closest to the code's own cost.
    pub fn ratio_to(&self, base: &Samples) -> String {
        let (lo, hi) = self.range();
        let (blo, bhi) = base.range();
        format!("**{:.3}x** ({:.2}..{:.2}; fastest {:.3}x)", self.median() / base.median(), lo / bhi, hi / blo, lo / blo)
    }
}

pub fn fmt_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return "n/a".into();
    }
    let a = ns.abs();
    if a < 10.0 {
        format!("{ns:.2} ns")
    } else if a < 1e4 {
        format!("{ns:.0} ns")
    } else if a < 1e7 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.0} ms", ns / 1e6)
    }
}
