/* Test-only shim for Wine 8 (Debian 12), which lacks bcryptprimitives.dll: Rust's standard
 * library and the getrandom crate take random bytes from its ProcessPrng on Windows 10+.
 * This forwards to RtlGenRandom (advapi32 SystemFunction036), which Wine implements with
 * the host's system RNG. scripts/wine-cli.sh builds it with mingw-w64 and installs it in the
 * Wine prefix only; it is never shipped (Windows 10 and later have the real DLL). */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
