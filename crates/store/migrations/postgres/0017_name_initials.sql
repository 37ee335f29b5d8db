-- Pinyin initials of each resident's name (王秀兰 → wxl), written by the store with the name, so
-- that clerks find people by 首字母 as well as by any part of the name. Rows registered before
-- this migration are filled in by `Db::migrate` (the initials are computed in Rust). Keep in step
-- with the other backend's 0017.
ALTER TABLE residents ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
