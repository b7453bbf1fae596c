//! Line/column positions (as proc-macro2 reports them) to byte offsets.

use proc_macro2::LineColumn;

pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset where each line starts (line 1 at index 0).
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Byte offset of a position whose column counts chars.
    pub fn offset(&self, at: LineColumn) -> usize {
        let start = self.starts.get(at.line.saturating_sub(1)).copied().unwrap_or(self.text.len());
        let line = &self.text[start..];
        start + line.char_indices().nth(at.column).map(|(i, _)| i).unwrap_or(line.len())
    }
}

/// For text inserted in front of `at` (the first token of its line): the
/// end of the line before, when that line surely holds no comment or
/// literal the text would land in (`'` may be a lifetime: cheap to be
/// conservative), so that nothing on `at`'s line changes column; with the
/// text before that line's end, for the caller to judge the syntax there.
pub fn end_of_line_before(text: &str, at: usize) -> Option<(usize, &str)> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    if line_start == 0 || !text[line_start..at].trim().is_empty() {
        return None;
    }
    let previous_end = line_start - 1;
    let previous_start = text[..previous_end].rfind('\n').map_or(0, |i| i + 1);
    let previous = &text[previous_start..previous_end];
    let safe = !["//", "/*", "*/", "\"", "'", "\\"].iter().any(|m| previous.contains(m));
    safe.then(|| (previous_start + previous.trim_end_matches('\r').len(), &text[..previous_end]))
}
