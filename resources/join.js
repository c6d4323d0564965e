// The token arrives in the URL fragment, which browsers never send to a server.
(function () {
  'use strict';
  var params = new URLSearchParams(location.hash.replace(/^#/, ''));
  var token = params.get('token');
  var pin = params.get('pin');
  if (!token) {
    document.getElementById('missing').hidden = false;
    return;
  }
  var quote = function (v) {
    return "'" + v.replace(/'/g, "'\\''") + "'";
  };
  var script = quote(location.origin + '/join.sh');
  var curl = pin ? 'curl -fsSk --pinnedpubkey ' + quote('sha256//' + pin) + ' ' + script : 'curl -fsS ' + script;
  var command = curl + ' | sh -s -- ' + quote(token);

  var tokenBox = document.getElementById('token');
  token.split('-').forEach(function (group) {
    var span = document.createElement('span');
    span.textContent = group;
    tokenBox.appendChild(span);
  });
  document.getElementById('command').textContent = command;
  document.getElementById('content').hidden = false;
  // Drop the token from the address bar and history once shown.
  history.replaceState(null, '', location.pathname);

  var status = document.getElementById('status');
  function copy(text, what) {
    var done = function () {
      status.textContent = what + ' copied.';
    };
    var fail = function () {
      status.textContent = 'Copying is not allowed here: select the text and copy it by hand.';
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fail);
    else fail();
  }
  document.getElementById('copy-token').addEventListener('click', function () {
    copy(token, 'Token');
  });
  document.getElementById('copy-command').addEventListener('click', function () {
    copy(command, 'Command');
  });
})();
