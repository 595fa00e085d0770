//! Whether the desktop portal's file chooser really answers. A portal can be registered on
//! the session bus (running or activatable) and still show nothing: xdg-desktop-portal
//! without a FileChooser backend, a service file whose program fails to start. rfd would
//! then return nothing, as a cancel does. So the portal is asked for real: the `version`
//! property of `org.freedesktop.portal.FileChooser` on `/org/freedesktop/portal/desktop`,
//! through `org.freedesktop.DBus.Properties.Get` (the call starts an activatable portal, as
//! rfd's own call would), with [`PROBE_TIMEOUT`]. It runs on the first pick's worker thread
//! (`chooser.rs`), never on the UI's.

use std::time::Duration;

/// How long the portal has to answer (it may have to be started first).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The bus name rfd asks, the object and the interface it uses.
#[cfg(target_os = "linux")]
const PORTAL: &str = "org.freedesktop.portal.Desktop";
#[cfg(target_os = "linux")]
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
#[cfg(target_os = "linux")]
const FILE_CHOOSER: &str = "org.freedesktop.portal.FileChooser";

/// What the session bus answered when the portal's FileChooser was asked its version.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) enum ProbeAnswer {
    /// The FileChooser's `version`.
    Version(u32),
    /// Nobody owns the portal's name and no service file can start it.
    NoService,
    /// The bus or the portal answered with this D-Bus error (an activation that failed, no
    /// such interface or object, …) or the bus could not be reached.
    Error(String),
    /// No answer within [`PROBE_TIMEOUT`].
    TimedOut,
}

/// The desktop portal's file chooser, as far as the app can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Portal {
    /// No portal on the session bus (or no session bus).
    Missing,
    /// A portal is registered but its file chooser does not answer: why, for the user.
    Broken(&'static str),
    /// The file chooser answered.
    Works,
}

/// What `answer` says of the portal.
pub(crate) fn judge(answer: &ProbeAnswer) -> Portal {
    match answer {
        ProbeAnswer::Version(v) if *v >= 1 => Portal::Works,
        ProbeAnswer::Version(_) => Portal::Broken("its file chooser has no usable version"),
        ProbeAnswer::NoService => Portal::Missing,
        ProbeAnswer::TimedOut => Portal::Broken("it did not answer in time"),
        ProbeAnswer::Error(name) => Portal::Broken(match name.as_str() {
            "org.freedesktop.DBus.Error.UnknownInterface"
            | "org.freedesktop.DBus.Error.UnknownObject"
            | "org.freedesktop.DBus.Error.UnknownProperty"
            | "org.freedesktop.DBus.Error.UnknownMethod"
            | "org.freedesktop.DBus.Error.InvalidArgs" => "it has no FileChooser",
            "org.freedesktop.DBus.Error.NoReply" | "org.freedesktop.DBus.Error.TimedOut" => {
                "it did not answer in time"
            }
            spawn if spawn.starts_with("org.freedesktop.DBus.Error.Spawn.") => {
                "it could not be started"
            }
            _ => "its file chooser answered with an error",
        }),
    }
}

/// Asks the portal on the bus at `address` (`None`: the session bus) for its FileChooser's
/// version. Blocks at most about [`PROBE_TIMEOUT`].
#[cfg(target_os = "linux")]
pub(crate) fn probe(address: Option<&str>) -> ProbeAnswer {
    use std::sync::mpsc;
    let address = address.map(str::to_owned);
    let (tx, rx) = mpsc::channel();
    // On a thread of its own: a bus that never finishes the handshake cannot hold the pick.
    let spawned = std::thread::Builder::new()
        .name("keyward-portal-probe".into())
        .spawn(move || {
            let _ = tx.send(zbus::block_on(ask_version(address.as_deref())));
        });
    if spawned.is_err() {
        return ProbeAnswer::Error("no thread could be started".into());
    }
    rx.recv_timeout(PROBE_TIMEOUT + Duration::from_millis(500))
        .unwrap_or(ProbeAnswer::TimedOut)
}

#[cfg(target_os = "linux")]
async fn ask_version(address: Option<&str>) -> ProbeAnswer {
    let builder = match address {
        Some(address) => zbus::connection::Builder::address(address),
        None => zbus::connection::Builder::session(),
    };
    let connection = match builder {
        Ok(builder) => builder.method_timeout(PROBE_TIMEOUT).build().await,
        Err(e) => Err(e),
    };
    let Ok(connection) = connection else {
        return ProbeAnswer::Error("no session bus".into());
    };
    let reply = connection
        .call_method(
            Some(PORTAL),
            PORTAL_PATH,
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &(FILE_CHOOSER, "version"),
        )
        .await;
    match reply {
        Ok(message) => match message.body().deserialize::<zbus::zvariant::OwnedValue>() {
            Ok(value) => u32::try_from(value).map_or_else(
                |_| ProbeAnswer::Error("version is not a number".into()),
                ProbeAnswer::Version,
            ),
            Err(_) => ProbeAnswer::Error("unreadable answer".into()),
        },
        Err(zbus::Error::MethodError(name, _, _)) => match name.as_str() {
            "org.freedesktop.DBus.Error.ServiceUnknown"
            | "org.freedesktop.DBus.Error.NameHasNoOwner" => ProbeAnswer::NoService,
            other => ProbeAnswer::Error(other.to_owned()),
        },
        Err(zbus::Error::InputOutput(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
            ProbeAnswer::TimedOut
        }
        Err(e) => ProbeAnswer::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_chooser_that_answers_its_version_counts() {
        assert_eq!(judge(&ProbeAnswer::Version(4)), Portal::Works);
        assert_eq!(judge(&ProbeAnswer::NoService), Portal::Missing);
        for (error, why) in [
            (
                "org.freedesktop.DBus.Error.UnknownInterface",
                "it has no FileChooser",
            ),
            (
                "org.freedesktop.DBus.Error.UnknownObject",
                "it has no FileChooser",
            ),
            (
                "org.freedesktop.DBus.Error.Spawn.ChildExited",
                "it could not be started",
            ),
            (
                "org.freedesktop.DBus.Error.NoReply",
                "it did not answer in time",
            ),
            (
                "org.freedesktop.portal.Error.Failed",
                "its file chooser answered with an error",
            ),
        ] {
            assert_eq!(
                judge(&ProbeAnswer::Error(error.into())),
                Portal::Broken(why),
                "{error}"
            );
        }
        assert_eq!(
            judge(&ProbeAnswer::TimedOut),
            Portal::Broken("it did not answer in time")
        );
        assert!(matches!(judge(&ProbeAnswer::Version(0)), Portal::Broken(_)));
    }
}

/// The probe against a private session bus (`dbus-daemon`): a portal that is activatable
/// but cannot start, one that runs without a FileChooser, one with it, and none at all.
#[cfg(all(test, target_os = "linux"))]
mod bus_tests {
    use super::*;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};

    /// A `dbus-daemon` of its own, listening in `dir`; killed on drop.
    struct PrivateBus {
        child: Child,
        address: String,
    }

    impl Drop for PrivateBus {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Starts a bus in `dir`; `services` is a folder of service files it may activate.
    /// `None` when there is no dbus-daemon (a failure under CI).
    fn private_bus(dir: &Path, services: Option<&Path>) -> Option<PrivateBus> {
        let socket = dir.join("bus");
        let servicedir = services
            .map(|s| format!("<servicedir>{}</servicedir>", s.display()))
            .unwrap_or_default();
        let config = format!(
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
             \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
             <busconfig><type>session</type><listen>unix:path={}</listen>\
             <auth>EXTERNAL</auth>{servicedir}\
             <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
             <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
            socket.display()
        );
        let config_path = dir.join("bus.conf");
        std::fs::write(&config_path, config).expect("bus config");
        let child = match Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config_path.display()))
            .arg("--nofork")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                let why = format!(
                    "dbus-daemon could not be started ({e}); apt-get install dbus to run this test"
                );
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
                eprintln!("skipped: {why}");
                return None;
            }
        };
        let bus = PrivateBus {
            child,
            address: format!("unix:path={}", socket.display()),
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "dbus-daemon made no socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(bus)
    }

    struct FakeSettings;

    #[zbus::interface(name = "org.freedesktop.portal.Settings")]
    impl FakeSettings {
        #[zbus(property, name = "version")]
        fn version(&self) -> u32 {
            2
        }
    }

    struct FakeFileChooser;

    #[zbus::interface(name = "org.freedesktop.portal.FileChooser")]
    impl FakeFileChooser {
        #[zbus(property, name = "version")]
        fn version(&self) -> u32 {
            4
        }
    }

    #[test]
    fn a_portal_on_the_bus_counts_only_when_its_file_chooser_answers() {
        let dir = tempfile::tempdir().expect("temp dir");
        // Activatable, but its program exits at once (a portal that cannot start).
        let services = dir.path().join("services");
        std::fs::create_dir(&services).expect("mkdir");
        std::fs::write(
            services.join("org.freedesktop.portal.Desktop.service"),
            "[D-BUS Service]\nName=org.freedesktop.portal.Desktop\nExec=/bin/false\n",
        )
        .expect("service file");
        let Some(bus) = private_bus(dir.path(), Some(&services)) else {
            return;
        };
        let answer = probe(Some(&bus.address));
        assert!(
            matches!(&answer, ProbeAnswer::Error(e) if e.contains("Spawn")),
            "{answer:?}"
        );
        assert_eq!(judge(&answer), Portal::Broken("it could not be started"));

        // Running, owning the portal's name, with an object but no FileChooser on it.
        let service = zbus::block_on(async {
            zbus::connection::Builder::address(bus.address.as_str())?
                .name(PORTAL)?
                .serve_at(PORTAL_PATH, FakeSettings)?
                .build()
                .await
        })
        .expect("fake portal");
        let answer = probe(Some(&bus.address));
        assert_eq!(
            answer,
            ProbeAnswer::Error("org.freedesktop.DBus.Error.UnknownInterface".into())
        );
        assert_eq!(judge(&answer), Portal::Broken("it has no FileChooser"));
        // What "Choose…" decides on such a desktop (no zenity: no PATH): no chooser.
        let address = std::ffi::OsString::from(&bus.address);
        let var = |name: &str| (name == "DBUS_SESSION_BUS_ADDRESS").then(|| address.clone());
        let desktop = super::super::chooser::detect(&var, &|| probe(Some(&bus.address)));
        assert_eq!(desktop.portal, Portal::Broken("it has no FileChooser"));
        assert!(!desktop.has_chooser());

        // The same portal once it has a FileChooser.
        zbus::block_on(service.object_server().at(PORTAL_PATH, FakeFileChooser))
            .expect("serve FileChooser");
        assert_eq!(probe(Some(&bus.address)), ProbeAnswer::Version(4));
        drop(service);

        // A bus without any portal.
        let empty = tempfile::tempdir().expect("temp dir");
        let Some(bare) = private_bus(empty.path(), None) else {
            return;
        };
        let answer = probe(Some(&bare.address));
        assert_eq!(answer, ProbeAnswer::NoService);
        assert_eq!(judge(&answer), Portal::Missing);
    }
}
