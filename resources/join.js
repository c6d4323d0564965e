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
  var curl = pin ? 'curl -fsS --pinnedpubkey ' + quote('sha256//' + pin) + ' -k ' + script : 'curl -fsS ' + script;
  // The token reaches sh in its environment, never on a command line (the process list).
  var command = curl + ' | GATEHOUSE_TOKEN=' + quote(token) + ' sh';

  // Text as unbreakable groups with a line-break opportunity after each hyphen, slash or
  // space, and every four characters inside a long run (the base64 pin), so a line never
  // splits a token group.
  function appendGroups(box, text) {
    text.split(/(?<=[-/ ])/).forEach(function (part) {
      var size = part.length > 16 ? 4 : part.length;
      for (var i = 0; i < part.length; i += size) {
        var span = document.createElement('span');
        span.className = 'group';
        span.textContent = part.slice(i, i + size);
        box.appendChild(span);
        box.appendChild(document.createElement('wbr'));
      }
    });
  }

  var tokenBox = document.getElementById('token');
  token.split('-').forEach(function (group) {
    var span = document.createElement('span');
    span.textContent = group;
    tokenBox.appendChild(span);
  });
  appendGroups(document.getElementById('command'), command);
  if (pin) {
    document.getElementById('pin').textContent = pin.match(/.{1,4}/g).join(' ');
    document.getElementById('pin-box').hidden = false;
  }
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
