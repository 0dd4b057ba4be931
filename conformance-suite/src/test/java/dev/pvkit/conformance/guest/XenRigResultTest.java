package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a rig run's directory says about the emulated machine itself: a crash is the rig's, told apart from a verdict. */
class XenRigResultTest {
    @TempDir
    Path run;

    private XenRig.Result result() throws Exception {
        return resultWith();
    }

    @Test
    void aCleanRunIsNoCrashEvenWhenItsWorkloadFailed() throws Exception {
        Files.writeString(run.resolve("domu-console.log"), "DOMU-DONE blk=FAIL net=PASS uptime=12.0\n");
        assertThat(result().machineCrash()).isNull();
    }

    @Test
    void aCrashLogOfDom0sJvmIsACrash() throws Exception {
        Files.writeString(run.resolve("hs_err.log"), "# A fatal error has been detected by the Java Runtime Environment\n");
        assertThat(result().machineCrash()).isEqualTo("dom0's JVM crashed");
    }

    @Test
    void aPanicOnTheDomUsConsoleIsACrashAndIsQuoted() throws Exception {
        Files.writeString(run.resolve("domu-console.log"), "[    4.336569] init[1]: segfault at 0\n"
                + "[    4.348365] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n");
        assertThat(result().machineCrash())
                .isEqualTo("the domU's kernel panicked: [    4.348365] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b");
    }

    @Test
    void aPanicOnXensSerialLineIsDom0s() throws Exception {
        Files.writeString(run.resolve("serial.log"), "(XEN) ...\n[   12.0] Kernel panic - not syncing: Fatal exception\n");
        assertThat(result().machineCrash()).startsWith("dom0's kernel panicked: ");
    }

    @Test
    void aFaultReportedByTheDomUsWorkloadIsACrashAndIsQuoted() throws Exception {
        Files.writeString(run.resolve("domu-console.log"), "DOMU-BLK discard ok\n"
                + "DOMU-FAULT [    5.120000] head[93]: segfault at 7ffd0 ip 0000000000401f3e sp 00007ffd error 6 in busybox\n"
                + "DOMU-DONE blk=ERROR net=PASS uptime=10.8\n");
        assertThat(result().machineCrash()).isEqualTo(
                "a process in the domU died: [    5.120000] head[93]: segfault at 7ffd0 ip 0000000000401f3e sp 00007ffd error 6 in busybox");
    }

    @Test
    void aFaultStepOfDom0IsACrashAndIsQuotedWithoutItsUptime() throws Exception {
        Files.writeString(run.resolve("serial.log"), "PVKIT-RIG dom0-fault dom0-uptime=34.60 [   30.1] xl[412]: segfault at 0 ip 0 error 14\n"
                + "PVKIT-RIG done dom0-uptime=34.62 status=0\n");
        assertThat(result().machineCrash()).isEqualTo("a process in dom0 died: [   30.1] xl[412]: segfault at 0 ip 0 error 14");
    }

    private XenRig.Result resultWith(String... domU) throws Exception {
        Path serial = run.resolve("serial.log");
        if (!Files.exists(serial)) Files.writeString(serial, "PVKIT-RIG done dom0-uptime=40.1 status=0\n");
        return new XenRig.Result(true, null, List.of(domU), run, serial, 40.0, null);
    }

    @Test
    void aProcessThatDiedInARunWhoseWorkloadPassedIsReportedButNeedsNoSecondBoot() throws Exception {
        Files.writeString(run.resolve("serial.log"), "PVKIT-RIG dom0-fault dom0-uptime=37.40 [   21.8] exe[314]: segfault at 8 ip 433f4b error 4 in busybox\n"
                + "PVKIT-RIG done dom0-uptime=37.48 status=0\n");
        XenRig.Result r = resultWith("DOMU-DONE blk=PASS net=PASS uptime=14.7");
        assertThat(r.workloadPassed()).isTrue();
        assertThat(r.machineCrash()).startsWith("a process in dom0 died: ");
        assertThat(r.needsAnotherBoot()).isFalse();
    }

    @Test
    void aProcessThatDiedInARunWhoseWorkloadDidNotPassNeedsAnotherBoot() throws Exception {
        Files.writeString(run.resolve("domu-console.log"), "DOMU-FAULT the workload's own 1 MiB pattern has md5 d41d8cd98f00b204e9800998ecf8427e\n");
        assertThat(resultWith("DOMU-DONE blk=ERROR net=PASS uptime=10.8").needsAnotherBoot()).isTrue();
    }

    @Test
    void aCrashedJvmNeedsAnotherBootWhateverTheWorkloadSaid() throws Exception {
        Files.writeString(run.resolve("hs_err.log"), "# A fatal error has been detected by the Java Runtime Environment\n");
        assertThat(resultWith("DOMU-DONE blk=PASS net=PASS uptime=14.7").needsAnotherBoot()).isTrue();
    }

    @Test
    void aFailedWorkloadWithoutAnyCrashIsTheDriversAndNeedsNoSecondBoot() throws Exception {
        XenRig.Result r = resultWith("DOMU-DONE blk=FAIL net=PASS uptime=14.7");
        assertThat(r.machineCrash()).isNull();
        assertThat(r.needsAnotherBoot()).isFalse();
    }

    @Test
    void theDomUsKernelLineAboutAFaultIsACrashWhenTheWorkloadNeverReported() throws Exception {
        // The host's timeout ended the run: dom0's last copy of the domU's console, the workload silent since.
        Files.writeString(run.resolve("domu-console.log"), "DOMU-NET round-trip min/avg/max = 80.6/100.3/135.1 ms\n"
                + "[  141.204417] traps: sh[1] general protection fault ip:4a4d02 sp:7ffc21c5db8 error:0 in busybox[401000+184000]\n");
        XenRig.Result r = new XenRig.Result(false, "the rig did not finish within 300 s", List.of(), run, run.resolve("serial.log"), 300.0, null);
        assertThat(r.machineCrash()).isEqualTo(
                "a process in the domU died: traps: sh[1] general protection fault ip:4a4d02 sp:7ffc21c5db8 error:0 in busybox[401000+184000]");
        assertThat(r.needsAnotherBoot()).isTrue();
    }

    @Test
    void aDomUKernelLineWithoutAFaultIsNoCrash() throws Exception {
        Files.writeString(run.resolve("domu-console.log"), "[    1.20] xen_netfront: Initialising Xen virtual ethernet driver\n"
                + "[    2.31] segfault handling selftest skipped\nDOMU-DONE blk=PASS net=PASS uptime=14.7\n");
        assertThat(result().machineCrash()).isNull();
    }
}
