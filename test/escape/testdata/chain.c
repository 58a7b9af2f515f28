/* chain N TAG: a chain of N processes, each the parent of the next. The
 * first exits once the deepest is running; the others wait for their child,
 * and the deepest sleeps. TAG is only there to find them in /proc. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 0, fds[2];
	char c = 'x';
	if (pipe(fds) != 0)
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid > 0) {
			if (i == 0) {
				read(fds[0], &c, 1);
				_exit(0);
			}
			waitpid(pid, NULL, 0);
			_exit(0);
		}
	}
	write(fds[1], &c, 1);
	sleep(120);
	return 0;
}
