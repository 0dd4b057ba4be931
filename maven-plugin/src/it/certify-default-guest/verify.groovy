// The default guest certifies clean: the verdict, the reports, and the JUnit XML where CI tools look.
import groovy.json.JsonSlurper
def log = new File(basedir, 'build.log').text
assert log.contains('PVKit certification: PASS')
assert log.contains('BUILD SUCCESS')
def report = new JsonSlurper().parse(new File(basedir, 'target/pvkit/report.json'))
def failed = report.requirements.findAll { it.outcome == 'fail' }
assert failed.isEmpty() : "failed: ${failed*.id}"
assert report.requirements.count { it.outcome == 'pass' } > 50
assert report.exploration.tries == 2
def junit = new File(basedir, 'target/surefire-reports/TEST-pvkit-certify.xml')
assert junit.isFile()
assert junit.text.contains('<testsuite')
assert new File(basedir, 'target/pvkit/report.html').isFile()
