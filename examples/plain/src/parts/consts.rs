pub const OPENING: i64 = 100;
