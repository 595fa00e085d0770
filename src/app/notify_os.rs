//! Where a notification goes on each system. The text each backend is given is built by
//! functions that exist on every target (so their tests run on Linux too); only the sending
//! is `#[cfg]`'d. Every backend runs on the notifier's worker thread and may block it.
//!
//! - **Linux**: a D-Bus call to `org.freedesktop.Notifications` (zbus).
//! - **macOS**: `/usr/bin/osascript` runs `display notification …`, the script given on
//!   **stdin**, never as an argument (key names would show in `ps`). Each text is written as
//!   an AppleScript expression of quoted runs of plain ASCII and `(character id N)` for every
//!   other character ([`applescript_text`]), so no key name can close a quote and add a
//!   statement, and the script is ASCII whatever encoding osascript reads stdin in. No crate
//!   that compiles Objective-C is needed (the build needs no Mac). The notification is shown
//!   under the name of the process that runs the script (Script Editor), not keyward's.
//! - **Windows**: a balloon from a notification-area icon (`Shell_NotifyIconW`, windows-sys),
//!   which Windows 10 and 11 show as a toast. Chosen over a PowerShell toast because it
//!   starts no process (nothing to escape, no script to inject into, no second or two of
//!   PowerShell start-up, nothing a Constrained Language policy blocks) and needs no
//!   AppUserModelID: a toast from an app without a registered Start-menu shortcut shows only
//!   under PowerShell's borrowed id. The texts are copied into the fixed UTF-16 fields of
//!   `NOTIFYICONDATAW` by [`wide_field`] (cut to fit, always NUL-terminated). The icon is a
//!   message-only window's, removed again after [`BALLOON_SHOWN_FOR`]; one balloon shows
//!   at a time.

/// How long the notification-area icon (and its balloon) stays on Windows.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) const BALLOON_SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The AppleScript that shows `summary` (as the title) with `body` on macOS.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) fn macos_script(summary: &str, body: &str) -> String {
    format!(
        "display notification {} with title {}\n",
        applescript_text(body),
        applescript_text(summary)
    )
}

/// `text` as an AppleScript expression whose value is exactly `text`: runs of printable
/// ASCII other than `"` and `\` in quotes, every other character (quotes, backslashes,
/// control characters, anything beyond ASCII) as `(character id N)`, joined with `&`.
/// Inside the quotes there is never a `"` or a `\`, so nothing in `text` can end a literal.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub(crate) fn applescript_text(text: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if (' '..='~').contains(&c) && c != '"' && c != '\\' {
            run.push(c);
        } else {
            if !run.is_empty() {
                parts.push(format!("\"{run}\""));
                run.clear();
            }
            parts.push(format!("(character id {})", u32::from(c)));
        }
    }
    if !run.is_empty() || parts.is_empty() {
        parts.push(format!("\"{run}\""));
    }
    parts.join(" & ")
}

/// `text` in a fixed UTF-16 field of `N` units (`NOTIFYICONDATAW`'s title is 64, its text
/// 256): NUL characters become spaces, a text too long is cut (never inside a surrogate
/// pair) and ends with "…", and the field is NUL-terminated.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn wide_field<const N: usize>(text: &str) -> [u16; N] {
    let mut field = [0u16; N];
    if N == 0 {
        return field;
    }
    let units: Vec<u16> = text
        .chars()
        .map(|c| if c == '\0' { ' ' } else { c })
        .collect::<String>()
        .encode_utf16()
        .collect();
    let room = N - 1;
    let kept = if units.len() <= room {
        units.len()
    } else {
        // One unit for the ellipsis; a high surrogate at the cut goes with its pair.
        let mut cut = room.saturating_sub(1);
        if cut > 0 && (0xD800..0xDC00).contains(&units[cut - 1]) {
            cut -= 1;
        }
        cut
    };
    field[..kept].copy_from_slice(&units[..kept]);
    if kept < units.len() && kept < room {
        field[kept] = 0x2026; // …
    }
    field
}

/// Shows the notification: D-Bus on Linux.
#[cfg(target_os = "linux")]
pub(crate) fn send(summary: &str, body: &str) -> Result<(), String> {
    use std::collections::HashMap;
    zbus::block_on(async {
        let connection = zbus::Connection::session()
            .await
            .map_err(|_| "no session bus".to_owned())?;
        let hints: HashMap<&str, zbus::zvariant::Value<'_>> = HashMap::new();
        let actions: Vec<&str> = Vec::new();
        connection
            .call_method(
                Some("org.freedesktop.Notifications"),
                "/org/freedesktop/Notifications",
                Some("org.freedesktop.Notifications"),
                "Notify",
                &(
                    "keyward",
                    0u32,
                    "dialog-password",
                    summary,
                    body,
                    actions,
                    hints,
                    -1i32,
                ),
            )
            .await
            .map(|_| ())
            .map_err(|_| "no notification service on the session bus".to_owned())
    })
}

/// Shows the notification: osascript, the script on stdin.
#[cfg(target_os = "macos")]
pub(crate) fn send(summary: &str, body: &str) -> Result<(), String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let script = macos_script(summary, body);
    // "-": the script comes from stdin; nothing of it is on the command line.
    let mut child = Command::new("/usr/bin/osascript")
        .args(["-l", "AppleScript", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("osascript could not be started: {}", e.kind()))?;
    let written = child
        .stdin
        .take()
        .ok_or_else(|| "osascript has no stdin".to_owned())
        .and_then(|mut stdin| {
            stdin
                .write_all(script.as_bytes())
                .map_err(|e| format!("osascript did not take the script: {}", e.kind()))
        });
    let status = child
        .wait()
        .map_err(|e| format!("osascript did not finish: {}", e.kind()))?;
    written?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("osascript failed ({status})"))
    }
}

/// Shows the notification: a balloon from a notification-area icon.
#[cfg(windows)]
pub(crate) fn send(summary: &str, body: &str) -> Result<(), String> {
    use std::sync::{Mutex, PoisonError};
    use windows_sys::Win32::UI::Shell::{
        NIF_ICON, NIF_INFO, NIF_TIP, NIIF_INFO, NIIF_RESPECT_QUIET_TIME, NIM_ADD, NIM_DELETE,
        NOTIFYICONDATAW, Shell_NotifyIconW,
    };
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        CreateWindowExW, DestroyWindow, HWND_MESSAGE, IDI_APPLICATION, LoadIconW,
    };

    // One icon at a time: notifications due together show one after the other.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);

    let class: Vec<u16> = "STATIC\0".encode_utf16().collect();
    // SAFETY: a message-only window of the system's STATIC class: the class name is a
    // NUL-terminated UTF-16 string that outlives the call; every other pointer is null.
    let window = unsafe {
        CreateWindowExW(
            0,
            class.as_ptr(),
            std::ptr::null(),
            0,
            0,
            0,
            0,
            0,
            HWND_MESSAGE,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null(),
        )
    };
    if window.is_null() {
        return Err("no window for the notification icon could be made".to_owned());
    }
    // SAFETY: NOTIFYICONDATAW is plain data (integers, arrays, handles): all zeroes is valid.
    let mut data: NOTIFYICONDATAW = unsafe { std::mem::zeroed() };
    data.cbSize = std::mem::size_of::<NOTIFYICONDATAW>() as u32;
    data.hWnd = window;
    data.uID = 1;
    data.uFlags = NIF_ICON | NIF_TIP | NIF_INFO;
    // SAFETY: a system icon (null instance, a predefined id); null when it is missing.
    data.hIcon = unsafe { LoadIconW(std::ptr::null_mut(), IDI_APPLICATION) };
    data.szTip = wide_field("keyward");
    data.szInfoTitle = wide_field(summary);
    data.szInfo = wide_field(body);
    data.dwInfoFlags = NIIF_INFO | NIIF_RESPECT_QUIET_TIME;
    // SAFETY: `data` is a filled NOTIFYICONDATAW of the size it says, for `window`.
    let shown = unsafe { Shell_NotifyIconW(NIM_ADD, &data) } != 0;
    if shown {
        std::thread::sleep(BALLOON_SHOWN_FOR);
        // SAFETY: as above; removes the icon NIM_ADD put there.
        unsafe { Shell_NotifyIconW(NIM_DELETE, &data) };
    }
    // SAFETY: the window this thread made above; nothing else holds it.
    unsafe { DestroyWindow(window) };
    if shown {
        Ok(())
    } else {
        Err("the notification area did not take the icon (Shell_NotifyIconW failed)".to_owned())
    }
}

/// Other systems: nothing is shown.
#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub(crate) fn send(_summary: &str, _body: &str) -> Result<(), String> {
    Err("not supported on this system".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads `script` back as `display notification E with title E` + newline, where each E
    /// may only be quoted literals with no `\` inside and `(character id N)`, joined by `&`:
    /// the title and the body. `None` for any other script (a key name that broke out).
    fn read_script(script: &str) -> Option<(String, String)> {
        let rest = script.strip_prefix("display notification ")?;
        let (body, rest) = read_expression(rest)?;
        let rest = rest.strip_prefix(" with title ")?;
        let (title, rest) = read_expression(rest)?;
        (rest == "\n").then_some((title, body))
    }

    fn read_expression(mut s: &str) -> Option<(String, &str)> {
        let mut value = String::new();
        loop {
            if let Some(after) = s.strip_prefix('"') {
                let end = after.find('"')?;
                let literal = &after[..end];
                if literal.contains('\\') {
                    return None;
                }
                value.push_str(literal);
                s = &after[end + 1..];
            } else if let Some(after) = s.strip_prefix("(character id ") {
                let end = after.find(')')?;
                value.push(char::from_u32(after[..end].parse().ok()?)?);
                s = &after[end + 1..];
            } else {
                return None;
            }
            match s.strip_prefix(" & ") {
                Some(after) => s = after,
                None => return Some((value, s)),
            }
        }
    }

    const HOSTILE: [&str; 8] = [
        "a\" & do shell script \"x",
        "x\" with title \"y",
        "back\\\" & (do shell script \"touch /tmp/p\") & \"",
        "line\ndo shell script \"x\"",
        "¬\rreturn \u{2028}",
        "key\u{0}name",
        "",
        "ключ-日本-🔑",
    ];

    #[test]
    fn a_key_name_cannot_break_out_of_the_applescript_string() {
        for name in HOSTILE {
            let summary = format!("Key expired: {name}");
            let script = macos_script(&summary, name);
            assert!(script.is_ascii(), "{script:?}");
            assert_eq!(script.matches('\n').count(), 1, "one line: {script:?}");
            assert_eq!(
                read_script(&script),
                Some((summary.clone(), name.to_owned())),
                "{script:?}"
            );
        }
        assert_eq!(
            applescript_text("a\" & do shell script \"x"),
            "\"a\" & (character id 34) & \" & do shell script \" & (character id 34) & \"x\""
        );
        assert_eq!(applescript_text(""), "\"\"");
    }

    #[test]
    fn the_reader_refuses_a_script_that_was_not_escaped() {
        // The test's own reader would catch a builder that quoted without escaping.
        let naive = |t: &str| format!("display notification \"{t}\" with title \"k\"\n");
        for name in &HOSTILE[..4] {
            assert_eq!(read_script(&naive(name)), None, "{name:?}");
        }
        assert!(read_script(&naive("plain")).is_some());
    }

    proptest! {
        #[test]
        fn any_text_reads_back_exactly(
            summary in proptest::collection::vec(any::<char>(), 0..24),
            body in proptest::collection::vec(any::<char>(), 0..24),
        ) {
            let (summary, body): (String, String) =
                (summary.into_iter().collect(), body.into_iter().collect());
            let script = macos_script(&summary, &body);
            prop_assert!(script.is_ascii());
            prop_assert_eq!(read_script(&script), Some((summary, body)));
        }
    }

    /// Windows: the notification-area icon is added with its balloon and removed again (10 s).
    /// Needs a notification area: under Wine, a display (`Xvfb :95 &`, then `DISPLAY=:95
    /// wine target/x86_64-pc-windows-gnu/debug/deps/keyward-*.exe app::notify_os`, the
    /// prefix of scripts/wine/prefix.sh); without one Shell_NotifyIconW fails and so does
    /// this test, so scripts/wine-cli.sh (no display) leaves it out.
    #[cfg(windows)]
    #[test]
    fn a_balloon_is_shown_and_its_icon_removed() {
        assert_eq!(
            send("keyward: 1 key needs attention", "Expired (1): a\" & b"),
            Ok(())
        );
    }

    fn text_of(field: &[u16]) -> String {
        let end = field.iter().position(|&u| u == 0).expect("NUL-terminated");
        String::from_utf16(&field[..end]).expect("whole characters")
    }

    #[test]
    fn a_windows_field_is_nul_terminated_and_cut_to_fit() {
        let field: [u16; 64] = wide_field("Key expired: kraken-reporting");
        assert_eq!(text_of(&field), "Key expired: kraken-reporting");
        let exact = "x".repeat(63);
        assert_eq!(text_of(&wide_field::<64>(&exact)), exact);
        let long = "y".repeat(64);
        let cut = text_of(&wide_field::<64>(&long));
        assert_eq!(cut, format!("{}…", "y".repeat(62)));
        assert_eq!(cut.encode_utf16().count(), 63);
        assert_eq!(
            text_of(&wide_field::<8>("a\0b")),
            "a b",
            "a NUL does not end the text"
        );
        assert_eq!(text_of(&wide_field::<1>("abc")), "");
    }

    #[test]
    fn a_windows_field_never_splits_a_surrogate_pair() {
        // 🔑 is two UTF-16 units; the cut falls between them for every odd prefix length.
        for prefix in 0..8 {
            let text = format!("{}{}", "a".repeat(prefix), "🔑".repeat(8));
            let shown = text_of(&wide_field::<10>(&text));
            assert!(shown.ends_with('…'), "{shown:?}");
            assert!(shown.encode_utf16().count() <= 9, "{shown:?}");
            assert!(text.starts_with(shown.trim_end_matches('…')), "{shown:?}");
        }
    }
}
