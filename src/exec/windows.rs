//! Windows side of [`super::run`]: keyward survives Ctrl+C and Ctrl+Break while the child
//! runs (the console delivers them to every process attached to it, so the child gets them
//! itself), and the child is put in a job object that kills it when keyward ends.

use std::os::windows::io::AsRawHandle;
use std::process::{Child, ExitStatus};

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
    SetInformationJobObject,
};
use windows_sys::core::BOOL;

/// Ctrl+C and Ctrl+Break: handled (keyward keeps waiting for the child, which got the
/// event from the console too). Closing the console, log-off and shut-down: not handled, so
/// keyward ends, its job closes and the child is killed with it.
unsafe extern "system" fn on_console_event(event: u32) -> BOOL {
    BOOL::from(event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
}

/// The console handler and the child's job object, for as long as it lives.
pub(super) struct Supervisor {
    job: Option<HANDLE>,
}

impl Supervisor {
    /// Installs the console control handler before the child is spawned.
    pub(super) fn install() -> Self {
        // SAFETY: registers a handler function that lives for the whole program.
        unsafe {
            SetConsoleCtrlHandler(Some(on_console_event), 1);
        }
        Supervisor { job: None }
    }

    /// Puts `child` in a job object that kills it when the last handle (ours) closes: when
    /// keyward returns or dies. Best effort: a failure is reported, the child still runs.
    pub(super) fn watch(&mut self, child: &Child) {
        match kill_on_close_job(child.as_raw_handle() as HANDLE) {
            Ok(job) => self.job = Some(job),
            Err(e) => eprintln!(
                "warning: the command is not tied to keyward ({e}); it may outlive keyward"
            ),
        }
    }
}

fn kill_on_close_job(process: HANDLE) -> std::io::Result<HANDLE> {
    // SAFETY: plain Win32 calls; the job handle is closed on every error path and the
    // limit information is a fully initialised struct that lives across the call.
    unsafe {
        let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
        if job.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        let set = SetInformationJobObject(
            job,
            JobObjectExtendedLimitInformation,
            (&raw const limits).cast(),
            size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        );
        if set == 0 || AssignProcessToJobObject(job, process) == 0 {
            let e = std::io::Error::last_os_error();
            CloseHandle(job);
            return Err(e);
        }
        Ok(job)
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // SAFETY: removes the handler installed by install(); closes a handle we own.
        unsafe {
            SetConsoleCtrlHandler(Some(on_console_event), 0);
            if let Some(job) = self.job.take() {
                CloseHandle(job);
            }
        }
    }
}

/// The child's exit code as keyward's: 0-255 as they are; a process ended by Ctrl+C
/// (STATUS_CONTROL_C_EXIT) gives 130, as a shell reports SIGINT; any other code that does
/// not fit a byte (a crash's NTSTATUS such as 0xC0000005) gives 255, never a false 0.
pub(super) fn exit_code(status: ExitStatus) -> u8 {
    status.code().map_or(1, |c| code_to_byte(c as u32))
}

const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

fn code_to_byte(code: u32) -> u8 {
    match code {
        0..=255 => code as u8,
        STATUS_CONTROL_C_EXIT => 130,
        _ => 255,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::windows::process::ExitStatusExt;

    #[test]
    fn exit_codes_fit_a_byte_without_a_false_success() {
        assert_eq!(exit_code(ExitStatus::from_raw(42)), 42);
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(256)), 255);
        assert_eq!(exit_code(ExitStatus::from_raw(0xC000_0005)), 255);
        assert_eq!(exit_code(ExitStatus::from_raw(STATUS_CONTROL_C_EXIT)), 130);
    }
}
