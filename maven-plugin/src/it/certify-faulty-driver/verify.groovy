// The faulty driver, three builds (invoker.properties): the fault fails the build naming DRV-BLK-015; a held waiver
// passes it and says so; an expired waiver fails it again and says the waiver expired. One build.log holds all three.
import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
def builds = log.split(/\[INFO\] Building certify-faulty-driver 1.0/).drop(1)
assert builds.size() == 3 : "three builds in build.log, not ${builds.size()}"
def (plain, waived, expired) = builds

def report = { String name -> new JsonSlurper().parse(new File(basedir, "target/pvkit-${name}/report.json")) }
def verdictOf = { r, String id -> r.requirements.find { it.id == id } }
def failedIds = { r -> r.requirements.findAll { it.outcome == 'fail' }*.id }

// 1. As built: one broken requirement, named with its statement, and the report to read.
assert plain.contains('PVKit certification failed: 1 requirement broken')
assert plain.contains('DRV-BLK-015 [MUST] The driver MUST put 0 in sector for a VIRTIO_BLK_T_FLUSH request.')
assert plain.contains('report: ') && plain.contains('target/pvkit-plain/report.html')
assert plain.contains('BUILD FAILURE')
def r1 = report('plain')
assert r1.result == 'fail'
assert failedIds(r1) == ['DRV-BLK-015']
assert !verdictOf(r1, 'DRV-BLK-015').evidence.isEmpty()

// 2. A waiver held until 2999: the build passes, and says what it waived and whose it is.
assert waived.contains('PVKit certification: PASS (0 violations, 0 warnings, 1 waived)')
assert waived.contains('waived: DRV-BLK-015 until 2999-12-31 (owner storage-team)')
assert waived.contains('BUILD SUCCESS')
def r2 = report('waived')
assert r2.result == 'pass'
assert failedIds(r2).isEmpty()
assert verdictOf(r2, 'DRV-BLK-015').outcome == 'waived'
assert verdictOf(r2, 'DRV-BLK-015').waiver.owner == 'storage-team'

// 3. The same waiver expired in 2020: the failure counts again, and the build says the waiver expired.
assert expired.contains('PVKit certification failed: 1 requirement broken (1 with an expired waiver)')
assert expired.contains('DRV-BLK-015 [MUST]') && expired.contains('[waiver expired 2020-01-01]')
assert expired.contains('BUILD FAILURE')
def r3 = report('expired')
assert r3.result == 'fail'
assert failedIds(r3) == ['DRV-BLK-015']
assert verdictOf(r3, 'DRV-BLK-015').waiver.status == 'expired'

// The JUnit XML CI tools read (the last build's): the expired waiver's failure is a failed test case.
def junit = new File(basedir, 'target/surefire-reports/TEST-pvkit-certify.xml').text
assert junit =~ /DRV-BLK-015 [^"]*" time="0">\s*<failure message="waiver expired on 2020-01-01/
