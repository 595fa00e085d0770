//! Writing an export: private (mode 0600), atomic (temporary file, fsync, rename) and
//! refusing to replace an existing file unless asked.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::TransferError;

/// Writes `bytes` to `path` with mode 0600, atomically and durably: readers see the old file
/// or the whole new one, never a part. Without `overwrite`, an existing `path` is left alone
/// and [`TransferError::Exists`] returned (checked again at the moment of the rename). A path
/// that holds a keyward vault is refused whatever `overwrite` says.
pub fn write_private_file(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), TransferError> {
    if crate::store::holds_vault(path) {
        return Err(TransferError::WouldOverwriteVault {
            path: path.to_owned(),
        });
    }
    if !overwrite && fs::symlink_metadata(path).is_ok() {
        return Err(TransferError::Exists {
            path: path.to_owned(),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| TransferError::Usage(format!("{} is not a file name", path.display())))?;
    let (tmp, mut file) = create_temp(&dir, name)?;
    let io = |action, source| TransferError::Io {
        action,
        path: tmp.clone(),
        source,
    };
    let result = file
        .write_all(bytes)
        .map_err(|e| io("writing", e))
        .and_then(|()| file.sync_all().map_err(|e| io("syncing", e)))
        .and_then(|()| {
            drop(file);
            place(&tmp, path, overwrite)
        });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable; a failure here leaves a complete file anyway.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn create_temp(dir: &Path, name: &std::ffi::OsStr) -> Result<(PathBuf, File), TransferError> {
    for attempt in 0u32..16 {
        let mut random = [0u8; 6];
        getrandom::fill(&mut random).map_err(|e| TransferError::Io {
            action: "getting randomness for a temporary name in",
            path: dir.to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{suffix}.tmp"));
        let tmp = dir.join(tmp_name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 15 => {}
            Err(source) => {
                return Err(TransferError::Io {
                    action: "creating a temporary file in",
                    path: dir.to_owned(),
                    source,
                });
            }
        }
    }
    Err(TransferError::Io {
        action: "creating a temporary file in",
        path: dir.to_owned(),
        source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    })
}

/// Moves the finished temporary file into place. Without `overwrite`, a hard link makes the
/// "does not exist yet" check and the placing one atomic step.
fn place(tmp: &Path, path: &Path, overwrite: bool) -> Result<(), TransferError> {
    if overwrite {
        return fs::rename(tmp, path).map_err(|source| TransferError::Io {
            action: "replacing",
            path: path.to_owned(),
            source,
        });
    }
    match fs::hard_link(tmp, path) {
        Ok(()) => {
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(TransferError::Exists {
            path: path.to_owned(),
        }),
        // Filesystems without hard links: check, then rename.
        Err(_) if fs::symlink_metadata(path).is_err() => {
            fs::rename(tmp, path).map_err(|source| TransferError::Io {
                action: "writing",
                path: path.to_owned(),
                source,
            })
        }
        Err(_) => Err(TransferError::Exists {
            path: path.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_privately_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("export.csv");
        write_private_file(&out, b"one", false).expect("first write");
        assert_eq!(fs::read(&out).expect("read"), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&out).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            write_private_file(&out, b"two", false),
            Err(TransferError::Exists { .. })
        ));
        assert_eq!(fs::read(&out).expect("read"), b"one");
        write_private_file(&out, b"two", true).expect("forced");
        assert_eq!(fs::read(&out).expect("read"), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");
    }
}
