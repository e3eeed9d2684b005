<?php
// Served by a pool of Debian's php-cgi run by preforkd as exec workers,
// the FastCGI socket on fd 0 (examples/php/preforkd.conf). Any FastCGI
// client reaches it: nginx's fastcgi_pass, or cgi-fcgi from libfcgi-bin:
//   SCRIPT_FILENAME=$PWD/examples/php/hello.php REQUEST_METHOD=GET \
//   REDIRECT_STATUS=200 cgi-fcgi -bind -connect 127.0.0.1:9000
header("X-Preforkd-Slot: " . getenv("PREFORKD_SLOT"));
echo "hello from php " . PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION . ", pid " . getmypid() . "\n";
