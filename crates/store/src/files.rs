//! The file store: DICOM instances and ECG files on disk, content-addressed by their SHA-256
//! (`<root>/sha256/ab/cd/abcd…`). A file is written to a temporary name and renamed into place, so
//! a reader never sees half a file and storing the same content twice keeps one copy.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A content-addressed file store rooted at a directory.
#[derive(Clone, Debug)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> FileStore {
        FileStore { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The hex SHA-256 of `content`.
    pub fn hash(content: &[u8]) -> String {
        hex::encode(Sha256::digest(content))
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join("sha256").join(&sha256[..2]).join(&sha256[2..4]).join(sha256))
    }

    /// Stores `content` (if not stored yet) and returns its hash. Blocking: call it from a
    /// blocking thread in async code.
    ///
    /// # Errors
    /// On an I/O error (nothing is left under the final name then).
    pub fn put(&self, content: &[u8]) -> std::io::Result<String> {
        let sha = Self::hash(content);
        let Some(path) = self.path(&sha) else {
            return Err(std::io::Error::other("bad hash"));
        };
        if path.exists() {
            return Ok(sha);
        }
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", std::process::id()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(content)?;
            f.sync_data()?;
        }
        std::fs::rename(&tmp, &path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        Ok(sha)
    }

    /// The content stored under `sha256`, if any. Blocking.
    ///
    /// # Errors
    /// On an I/O error other than "not found".
    pub fn get(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(sha256) else { return Ok(None) };
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_content_is_stored_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fs = FileStore::new(dir.path());
        let a = fs.put(b"DICM test").unwrap_or_else(|e| panic!("{e}"));
        let b = fs.put(b"DICM test").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b);
        assert_eq!(fs.get(&a).ok().flatten().as_deref(), Some(&b"DICM test"[..]));
        assert_eq!(fs.get(&"0".repeat(64)).ok().flatten(), None);
        assert_eq!(fs.get("../etc/passwd").ok().flatten(), None, "only hashes name files");
    }
}
