// The backup codes' "Download" button: a text file made here from the codes on the page, so they
// are never sent again nor kept anywhere else (the server keeps only their hashes).
document.querySelectorAll("[data-download-codes]").forEach(function (button) {
  var owner = document.getElementById("backup-codes-owner");
  var list = document.getElementById("backup-codes");
  if (!owner || !list) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    var codes = Array.prototype.map.call(list.querySelectorAll("code"), function (code) {
      return code.textContent.trim();
    });
    var text = [
      "Member Portal backup codes",
      owner.textContent.replace(/\s+/g, " ").trim(),
      "",
      codes.join("\n"),
      "",
      "Each code works once, in place of a code from your authenticator app.",
      "",
    ].join("\n");
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    link.download = owner.dataset.fileName || "backup-codes.txt";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () {
      URL.revokeObjectURL(link.href);
    }, 0);
  });
});
