// pvkit.skip: the goal runs, says so, and boots nothing.
def log = new File(basedir, 'build.log').text
assert log.contains('PVKit certification skipped (pvkit.skip)')
assert !new File(basedir, 'target/pvkit').exists()
