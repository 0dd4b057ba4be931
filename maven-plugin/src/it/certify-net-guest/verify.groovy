// A guest's virtio-net driver gated like a disk driver: Linux's virtio_net certifies clean, with two tries of
// generated device behaviour, the reports, and the JUnit XML where CI tools look.
import groovy.json.JsonSlurper
def log = new File(basedir, 'build.log').text
assert log.contains('PVKit certification: PASS')
assert log.contains('BUILD SUCCESS')
def report = new JsonSlurper().parse(new File(basedir, 'target/pvkit/report.json'))
assert report.device.type.startsWith('virtio-net')
def failed = report.requirements.findAll { it.outcome == 'fail' }
assert failed.isEmpty() : "failed: ${failed*.id}"
assert report.requirements.count { it.id.startsWith('DRV-NET-') && it.outcome == 'pass' } >= 5
assert report.exploration.tries == 2
assert new File(basedir, 'target/surefire-reports/TEST-pvkit-certify.xml').isFile()
