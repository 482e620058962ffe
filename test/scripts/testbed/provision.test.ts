import { describe, expect, it } from 'vitest';
import { decideProvision, installCommand, type HostFacts } from '../../../scripts/testbed/provision.ts';

const debianRoot: HostFacts = {
  platform: 'linux',
  isRoot: true,
  apt: true,
  osIds: ['debian'],
  autoInstall: true,
};

describe('decideProvision', () => {
  it('does nothing when every server binary is there', () => {
    expect(decideProvision([], debianRoot, false)).toEqual({ action: 'ready' });
  });

  it('installs the missing packages as root on Debian or Ubuntu with apt, before trying containers', () => {
    expect(decideProvision(['redis', 'postgres'], debianRoot, true)).toEqual({
      action: 'install',
      packages: ['redis-server', 'postgresql-15'],
    });
    expect(decideProvision(['pgbouncer'], { ...debianRoot, osIds: ['ubuntu', 'debian'] }, false)).toEqual({
      action: 'install',
      packages: ['pgbouncer'],
    });
  });

  it('uses a container engine when it may not install: not root, no apt, another OS, or TEST_BED_AUTO_INSTALL=0', () => {
    for (const facts of [
      { ...debianRoot, isRoot: false },
      { ...debianRoot, apt: false },
      { ...debianRoot, osIds: ['fedora'] },
      { ...debianRoot, platform: 'darwin' as const, osIds: [] },
      { ...debianRoot, autoInstall: false },
    ]) {
      expect(decideProvision(['redis'], facts, true)).toEqual({ action: 'container' });
    }
  });

  it('otherwise names the one command for this OS and changes nothing', () => {
    expect(decideProvision(['redis', 'openssl'], { ...debianRoot, isRoot: false }, false)).toEqual({
      action: 'instruct',
      command: 'sudo apt-get install -y redis-server openssl',
    });
    expect(decideProvision(['postgres'], { ...debianRoot, autoInstall: false }, false)).toEqual({
      action: 'instruct',
      command: 'apt-get install -y postgresql-15',
    });
  });
});

describe('installCommand', () => {
  const user: HostFacts = { ...debianRoot, isRoot: false };
  it('speaks each platform package manager', () => {
    const all = ['postgres', 'redis', 'pgbouncer', 'openssl'] as const;
    expect(installCommand(all, user)).toBe(
      'sudo apt-get install -y postgresql-15 redis-server pgbouncer openssl',
    );
    expect(installCommand(all, { ...user, osIds: ['rhel', 'fedora'] })).toBe(
      'sudo dnf install -y postgresql-server redis pgbouncer openssl',
    );
    expect(installCommand(all, { ...user, osIds: ['alpine'] })).toBe(
      'sudo apk add postgresql15 redis pgbouncer openssl',
    );
    expect(installCommand(all, { ...user, osIds: ['arch'] })).toBe(
      'sudo pacman -S --needed postgresql redis pgbouncer openssl',
    );
    expect(installCommand(['postgres', 'redis'], { ...user, platform: 'darwin', osIds: [] })).toBe(
      'brew install postgresql@15 redis',
    );
    expect(installCommand(['redis'], { ...user, platform: 'win32', osIds: [] })).toMatch(
      /Docker Desktop|WSL/,
    );
    expect(installCommand(['redis'], { ...user, osIds: ['gentoo'] })).toBe(
      "install Redis 7 with the system's package manager, or start a container engine",
    );
  });
});
