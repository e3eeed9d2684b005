"""The status page in a real browser (run by test_status_page.sh).

Chromium, headless, logs in to http://127.0.0.1:CONTROL/status with the
control token as the Basic password, the way an operator's browser does
after its login dialog, and checks what the operator would see: the
page's health, the workers table, requests that grow under load with a
rate above zero, a worker killed with SIGKILL replaced in the table and
its death among the recent events, and no error in the console. Every
wait polls the page with a deadline; exit status 0 or 1.
"""

import argparse
import http.client
import os
import signal
import sys
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

WAIT_S = 20


def fail(message):
    print("status_page_browser: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def until(what, check, timeout=WAIT_S):
    """check() every 0.1 s until it returns a true value (returned), or fail."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.1)


def browser(profile):
    options = Options()
    for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(binary):
            options.binary_location = binary
            break
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--user-data-dir=" + profile):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = "/usr/bin/chromedriver"
    service = Service(driver) if os.path.exists(driver) else Service()
    return webdriver.Chrome(service=service, options=options)


# The page redraws itself every second: read it in one script each time,
# never through element handles that the next redraw makes stale.
def text(driver, element_id):
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.textContent : null;",
        element_id)


def rows(driver):
    """The workers table: [pid, state] of each row."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#workers tbody tr'))"
        ".map(r => [r.dataset.pid, r.dataset.state]);")


def load(port, stop):
    """Keep-alive GETs on the service until stop is set (at most 60 s)."""
    end = time.monotonic() + 60
    conn = None
    while not stop.is_set() and time.monotonic() < end:
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/hello.txt")
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn = None
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--control", type=int, required=True)
    ap.add_argument("--service", type=int, required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--screenshot", required=True)
    a = ap.parse_args()
    with open(a.token_file, encoding="ascii") as f:
        token = f.read().strip()

    driver = browser(a.profile)
    stop = threading.Event()
    loaders = [threading.Thread(target=load, args=(a.service, stop)) for _ in range(2)]
    try:
        # a wrong password: the page does not open
        driver.get("http://admin:wrong@127.0.0.1:%d/status" % a.control)
        if driver.find_elements(By.ID, "workers"):
            fail("the page opened with a wrong password")

        # log in: the browser answers the Basic challenge with the token
        driver.get("http://admin:%s@127.0.0.1:%d/status" % (token, a.control))
        if driver.title != "preforkd status":
            fail("not the status page: title %r" % driver.title)
        until("health ok", lambda: text(driver, "health") == "ok")
        until("%d workers in the table" % a.workers,
              lambda: len(rows(driver)) == a.workers and all(p for p, _ in rows(driver)))
        if text(driver, "target") != str(a.workers):
            fail("target shows %r" % text(driver, "target"))
        before = int(until("a request count", lambda: text(driver, "requests").isdigit()
                           and text(driver, "requests")))

        # under load the numbers move
        for t in loaders:
            t.start()
        until("requests to grow under load",
              lambda: int(text(driver, "requests")) >= before + 200)
        until("a request rate above 0",
              lambda: text(driver, "rps") not in ("-", "0", "0.0"))
        driver.save_screenshot(a.screenshot)
        stop.set()
        for t in loaders:
            t.join()

        # a killed worker is replaced, and its death is an event
        victim = rows(driver)[0][0]
        os.kill(int(victim), signal.SIGKILL)
        until("worker %s replaced in the table" % victim,
              lambda: len(rows(driver)) == a.workers
              and victim not in [p for p, _ in rows(driver)])
        until("its death among the events",
              lambda: "worker %s killed by signal 9" % victim in text(driver, "events"))
        if not driver.execute_script("return document.getElementById('error').hidden;"):
            fail("the page shows an error: " + text(driver, "error"))

        errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"
                  and "favicon.ico" not in e.get("message", "")
                  and "401" not in e.get("message", "")]
        if errors:
            fail("console errors: %r" % errors)
    finally:
        stop.set()
        driver.quit()
    print("status_page_browser: ok: logged in, %d workers, requests grew, worker %s replaced"
          % (a.workers, victim))


if __name__ == "__main__":
    main()
