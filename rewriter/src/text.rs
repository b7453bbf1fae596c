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
