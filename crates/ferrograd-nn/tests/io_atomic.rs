//! Tests of `ferrograd_nn::io::write_atomic{,_with}`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use ferrograd_nn::io::{write_atomic, write_atomic_with, IoError};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("io_atomic_{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn creates_and_replaces() {
    let dir = scratch("replace");
    let p = dir.join("model.safetensors");
    write_atomic(&p, b"first version").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"first version");
    write_atomic(&p, b"v2").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"v2");
    write_atomic(&p, b"").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"");
    assert_eq!(entries(&dir), vec!["model.safetensors"]);
}

#[test]
fn large_write_goes_through_the_buffer() {
    let dir = scratch("large");
    let p = dir.join("big.bin");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    write_atomic_with(&p, |w| {
        for chunk in data.chunks(1000) {
            w.write_all(chunk)?;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(fs::read(&p).unwrap(), data);
}

#[test]
fn failing_writer_leaves_old_file_intact_and_no_temp() {
    let dir = scratch("fail");
    let p = dir.join("weights.bin");
    fs::write(&p, b"precious old contents").unwrap();
    let err = write_atomic_with(&p, |w| {
        w.write_all(&vec![0xAB; 100_000])?; // more than the buffer: really hits the temp file
        Err(io::Error::other("disk on fire"))
    })
    .unwrap_err();
    assert_eq!(err.code(), "IOError");
    let msg = err.to_string();
    assert!(
        msg.contains("weights.bin") && msg.contains("disk on fire"),
        "{msg}"
    );
    assert!(matches!(err, IoError::Io { .. }));
    assert_eq!(fs::read(&p).unwrap(), b"precious old contents");
    assert_eq!(entries(&dir), vec!["weights.bin"]);
}

#[test]
fn failing_writer_without_existing_file_creates_nothing() {
    let dir = scratch("fail_new");
    let p = dir.join("new.bin");
    let err = write_atomic_with(&p, |w| {
        w.write_all(b"partial")?;
        Err(io::Error::other("boom"))
    });
    assert!(err.is_err());
    assert!(entries(&dir).is_empty());
}

#[test]
fn panicking_writer_leaves_old_file_intact_and_no_temp() {
    let dir = scratch("panic");
    let p = dir.join("w.bin");
    fs::write(&p, b"old").unwrap();
    let r = std::panic::catch_unwind(|| {
        let _ = write_atomic_with(&p, |w| {
            w.write_all(&[1u8; 20_000])?;
            panic!("simulated crash mid-write");
        });
    });
    assert!(r.is_err());
    assert_eq!(fs::read(&p).unwrap(), b"old");
    assert_eq!(entries(&dir), vec!["w.bin"]);
}

#[test]
fn missing_directory_is_an_error_naming_the_path() {
    let dir = scratch("missing");
    let p = dir.join("no/such/dir/file.bin");
    let err = write_atomic(&p, b"x").unwrap_err();
    assert_eq!(err.code(), "IOError");
    assert!(err.to_string().contains("no/such/dir/file.bin"), "{err}");
}

#[test]
fn target_is_a_directory_fails_and_cleans_up() {
    let dir = scratch("isdir");
    let p = dir.join("sub");
    fs::create_dir(&p).unwrap();
    fs::write(p.join("keep"), b"k").unwrap();
    let err = write_atomic(&p, b"x").unwrap_err();
    assert!(err.to_string().contains("sub"), "{err}");
    assert_eq!(entries(&dir), vec!["sub"]);
    assert_eq!(fs::read(p.join("keep")).unwrap(), b"k");
}

#[test]
fn path_without_file_name_is_rejected() {
    let err = write_atomic(Path::new("/"), b"x").unwrap_err();
    assert_eq!(err.code(), "IOError");
    let err = write_atomic(Path::new("a/.."), b"x").unwrap_err();
    assert_eq!(err.code(), "IOError");
}

#[cfg(unix)]
#[test]
fn read_only_directory_keeps_existing_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("readonly");
    let p = dir.join("m.bin");
    fs::write(&p, b"old").unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    // root ignores directory permissions; only assert the failure when it is enforced.
    let enforced = fs::write(dir.join("probe"), b"").is_err();
    let r = write_atomic(&p, b"new");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    if enforced {
        let err = r.unwrap_err();
        assert!(err.to_string().contains("m.bin"), "{err}");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(entries(&dir), vec!["m.bin"]);
    } else {
        r.unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
    }
}

#[test]
fn concurrent_writers_never_interleave() {
    let dir = scratch("concurrent");
    let p = dir.join("c.bin");
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let p = &p;
            s.spawn(move || {
                for _ in 0..20 {
                    write_atomic(p, &vec![t; 50_000]).unwrap();
                }
            });
        }
    });
    let data = fs::read(&p).unwrap();
    assert_eq!(data.len(), 50_000);
    assert!(data.iter().all(|&b| b == data[0]));
    assert_eq!(entries(&dir), vec!["c.bin"]);
}
