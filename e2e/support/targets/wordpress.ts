// WordPress 6.1 from Debian's packages, served by `php -S` against a private MariaDB (socket only, its own
// data directory) on a free port of 127.0.0.1. Installed once: the Debian packages (apt-get when missing)
// plus a copy of /usr/share/wordpress with our own wp-config.php and an empty MariaDB data directory to
// start each instance from. Each start makes a fresh site, an admin and an application password.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureDebianPackages, ensureInstalled, freePort, run, startServer, waitFor, type InstallResult, type ServerProcess } from './cache';

export const WORDPRESS_VERSION = '6.1';
const PACKAGES = ['wordpress', 'php-cli', 'php-mysql', 'php-curl', 'php-xml', 'php-mbstring', 'mariadb-server'];

export interface RunningWordPress {
  url: string;
  username: string;
  applicationPassword: string;
  /** The admin's login password (for checks made through the platform's own API with another credential). */
  password: string;
  pids: number[];
  stop(): Promise<void>;
}

// Reads everything instance-specific from the environment, so one install serves any number of sites.
const WP_CONFIG = `<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:' . getenv('MARGIN_WP_DB_SOCKET'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', getenv('MARGIN_WP_URL'));
define('WP_SITEURL', getenv('MARGIN_WP_URL'));
// Application passwords need HTTPS or a local environment.
define('WP_ENVIRONMENT_TYPE', 'local');
// WP-Cron calls the site over HTTP from inside a request; the PHP built-in server would wait on itself.
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
define('AUTH_KEY', '${randomBytes(24).toString('hex')}');
define('SECURE_AUTH_KEY', '${randomBytes(24).toString('hex')}');
define('LOGGED_IN_KEY', '${randomBytes(24).toString('hex')}');
define('NONCE_KEY', '${randomBytes(24).toString('hex')}');
define('AUTH_SALT', '${randomBytes(24).toString('hex')}');
define('SECURE_AUTH_SALT', '${randomBytes(24).toString('hex')}');
define('LOGGED_IN_SALT', '${randomBytes(24).toString('hex')}');
define('NONCE_SALT', '${randomBytes(24).toString('hex')}');
$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
`;

// php -S has no rewrite rules: static files are served as is, PHP files run, everything else goes to WordPress.
const ROUTER = `<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$file = __DIR__ . $path;
if ($path !== '/' && is_file($file)) {
  if (substr($file, -4) !== '.php') return false;
  $_SERVER['SCRIPT_NAME'] = $path;
  require $file;
  return;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
require __DIR__ . '/index.php';
`;

// Installs the site and prints the credentials as JSON (wp_install and application passwords, no browser).
const BOOTSTRAP = `<?php
define('WP_INSTALLING', true);
$u = parse_url(getenv('MARGIN_WP_URL'));
$_SERVER['HTTP_HOST'] = $u['host'] . ':' . $u['port'];
$_SERVER['REQUEST_URI'] = '/';
// No mail on this machine: wp_install's "new site" notice would call sendmail.
function wp_mail() { return true; }
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$password = getenv('MARGIN_WP_ADMIN_PASSWORD');
$result = wp_install('Margin e2e', 'admin', 'admin@example.test', false, '', $password);
global $wp_rewrite;
$wp_rewrite->set_permalink_structure('/%postname%/');
$wp_rewrite->flush_rules(false);
list($app_password) = WP_Application_Passwords::create_new_application_password($result['user_id'], array('name' => 'margin-e2e'));
echo json_encode(array('username' => 'admin', 'applicationPassword' => $app_password));
`;

export async function installWordPress(): Promise<InstallResult> {
  return ensureInstalled('wordpress', WORDPRESS_VERSION, async (dir) => {
    await ensureDebianPackages(PACKAGES);
    // Debian's tree links wp-content to /var/lib/wordpress and reads its config from /etc/wordpress:
    // a dereferenced copy is a plain WordPress we configure ourselves.
    cpSync('/usr/share/wordpress', path.join(dir, 'site'), { recursive: true, dereference: true });
    writeFileSync(path.join(dir, 'site', 'wp-config.php'), WP_CONFIG);
    writeFileSync(path.join(dir, 'site', 'margin-router.php'), ROUTER);
    writeFileSync(path.join(dir, 'site', 'margin-bootstrap.php'), BOOTSTRAP);
    await run(installDbBinary(), [
      '--no-defaults',
      `--datadir=${path.join(dir, 'mysql-template')}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--user=root',
    ]);
  });
}

function installDbBinary(): string {
  return existsSync('/usr/bin/mariadb-install-db') ? '/usr/bin/mariadb-install-db' : '/usr/bin/mysql_install_db';
}

export async function startWordPress(): Promise<RunningWordPress> {
  const { dir } = await installWordPress();
  const work = mkdtempSync(path.join(tmpdir(), 'margin-wp-'));
  const datadir = path.join(work, 'mysql');
  cpSync(path.join(dir, 'mysql-template'), datadir, { recursive: true });
  const socket = path.join(work, 'mysql.sock');
  const servers: ServerProcess[] = [];
  const stop = async () => {
    for (const s of servers.reverse()) await s.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const db = startServer('/usr/sbin/mariadbd', [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      `--pid-file=${path.join(work, 'mysql.pid')}`,
      '--skip-networking',
      '--user=root',
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=16M',
      '--skip-log-bin',
    ]);
    servers.push(db);
    await waitFor('MariaDB', async () => existsSync(socket), db, 30_000);
    await waitFor(
      'MariaDB',
      () => run('/usr/bin/mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-e', 'CREATE DATABASE IF NOT EXISTS wordpress']).then(() => true),
      db,
      30_000,
    );

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const password = randomBytes(12).toString('hex');
    const env = { ...process.env, MARGIN_WP_DB_SOCKET: socket, MARGIN_WP_URL: url, MARGIN_WP_ADMIN_PASSWORD: password };
    const site = path.join(dir, 'site');
    const creds = JSON.parse(lastLine(await run('php', [path.join(site, 'margin-bootstrap.php')], { env, cwd: site }))) as {
      username: string;
      applicationPassword: string;
    };
    // Several workers: WordPress answers REST calls while another request is still open.
    const php = startServer('php', ['-S', `127.0.0.1:${port}`, '-t', site, path.join(site, 'margin-router.php')], {
      env: { ...env, PHP_CLI_SERVER_WORKERS: '4' },
      cwd: site,
    });
    servers.push(php);
    await waitFor('WordPress', async () => (await fetch(`${url}/wp-json/`)).ok, php, 30_000);
    return { url, password, ...creds, pids: servers.map((s) => s.pid), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function lastLine(output: string): string {
  return output.trim().split('\n').pop() ?? '';
}
