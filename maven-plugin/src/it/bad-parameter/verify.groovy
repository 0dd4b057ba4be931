// A wrong parameter is one line naming it, before anything boots; no stack trace.
def log = new File(basedir, 'build.log').text
assert log.contains('<tries> (pvkit.tries) must be 0 or more, not -3')
assert !log.contains('\tat dev.pvkit')
assert !new File(basedir, 'target/pvkit').exists()
