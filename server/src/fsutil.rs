//! Files only this user may read: the data directory, the keyring, the SQLite database and
//! the development issuer key.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Creates `dir` (and its parents) with mode `0700` if it does not exist.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn private_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `path` with mode `0600` holding `contents`; fails if it exists.
pub fn create_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = private_options().open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Replaces `path` with `contents` atomically (a `0600` temporary file in the same
/// directory, synced, then renamed over it), so a crash leaves the old or the new file,
/// never a torn one.
pub fn replace_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.map_or_else(|| tmp_name.clone().into(), |d| d.join(&tmp_name));
    let _ = fs::remove_file(&tmp);
    create_private_file(&tmp, contents)?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = dir {
        // Make the rename itself durable.
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
