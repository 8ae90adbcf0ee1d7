// Package i18n holds the console's own words in English and Japanese.
// Rule titles, phase names and everything else from the defence model come
// from the catalog, which carries both languages itself.
package i18n

import (
	"os"
	"strings"
)

// Lang is a language of the console.
type Lang string

// The console's languages.
const (
	EN Lang = "en"
	JA Lang = "ja"
)

// Parse reads a language tag or locale ("ja", "ja_JP.UTF-8"); anything
// not Japanese is English.
func Parse(s string) Lang {
	s = strings.ToLower(s)
	if s == "ja" || strings.HasPrefix(s, "ja_") || strings.HasPrefix(s, "ja-") || strings.HasPrefix(s, "ja.") {
		return JA
	}
	return EN
}

// FromEnv picks the language from LC_ALL, LC_MESSAGES or LANG.
func FromEnv() Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return Parse(v)
		}
	}
	return EN
}

// T returns the text for key in lang (English when there is no
// translation, the key itself when there is no text).
func (l Lang) T(key string) string {
	if e, ok := words[key]; ok {
		if l == JA && e[1] != "" {
			return e[1]
		}
		return e[0]
	}
	return key
}

// words are the console's texts: key → {English, Japanese}.
var words = map[string][2]string{
	"alerts":        {"Alerts", "アラート"},
	"endpoints":     {"Endpoints", "端末"},
	"timeline":      {"Timeline", "タイムライン"},
	"sources":       {"Sources", "ログソース"},
	"incidents":     {"Incidents", "インシデント"},
	"time":          {"Time", "時刻"},
	"last seen":     {"Last seen", "最終検知"},
	"first seen":    {"First seen", "初回検知"},
	"severity":      {"Sev", "重要度"},
	"rule":          {"Rule", "ルール"},
	"perspective":   {"Persp.", "分析"},
	"phase":         {"Ph", "段階"},
	"endpoint":      {"Endpoint", "端末"},
	"host":          {"Host", "ホスト名"},
	"title":         {"Title", "タイトル"},
	"count":         {"Count", "件数"},
	"summary":       {"Summary", "概要"},
	"peer":          {"Peer", "相手"},
	"segment":       {"Segment", "セグメント"},
	"role":          {"Role", "役割"},
	"owner":         {"Owner", "管理者"},
	"risk":          {"Risk", "リスク"},
	"phases":        {"Phases", "攻撃段階"},
	"events":        {"Events", "イベント"},
	"format":        {"Format", "形式"},
	"state":         {"State", "状態"},
	"offset":        {"Offset", "位置"},
	"rate":          {"ev/s", "件/秒"},
	"rejected":      {"Rejected", "不正行"},
	"lag":           {"Lag", "遅延"},
	"path":          {"File", "ファイル"},
	"score":         {"Score", "スコア"},
	"evidence":      {"Evidence", "証拠"},
	"details":       {"Details", "詳細"},
	"check first":   {"Check first", "最初に確認すること"},
	"measures":      {"Suggested measures", "推奨される暫定対処"},
	"why":           {"Why", "判定理由"},
	"no alerts":     {"No alerts. mamori is watching; alerts appear here as they are raised.", "アラートはありません。検知されるとここに表示されます。"},
	"no match":      {"Nothing matches the filter.", "フィルタに一致するものはありません。"},
	"no endpoints":  {"No endpoints seen yet.", "まだ端末は見つかっていません。"},
	"no events":     {"No events for this endpoint in this range.", "この範囲にこの端末のイベントはありません。"},
	"no sources":    {"No sources are followed (a store opened for review).", "追跡中のログソースはありません（閲覧モード）。"},
	"pick endpoint": {"Pick an endpoint (Endpoints pane, or an alert's t) to see its timeline.", "端末を選ぶとタイムラインが表示されます（端末一覧、またはアラートで t）。"},
	"learning":      {"learning", "学習中"},
	"learned":       {"learned", "学習済"},
	"src":           {"src", "ソース"},
	"readonly":      {"READ-ONLY", "閲覧専用"},
	"live":          {"live", "監視中"},
	"review":        {"review", "閲覧"},
	"store":         {"store", "ストア"},
	"filter":        {"filter", "フィルタ"},
	"acked":         {"acknowledged", "確認済"},
	"hidden":        {"allow-listed", "許可リスト"},
	"allow reason":  {"Allow-list this (hides matching alerts). Reason: ", "許可リストに追加（一致するアラートを非表示）。理由: "},
	"sort":          {"sort", "並び順"},
	"loading":       {"loading…", "読み込み中…"},
	"more above":    {"more above", "さらに前あり"},
	"more below":    {"more below", "さらに後あり"},
	"quit?":         {"Quit mamori? (y/n)", "mamoriを終了しますか? (y/n)"},
	"jump to":       {"Jump to time (2026-11-20 14:00, 14:00, -2h): ", "移動する時刻 (2026-11-20 14:00、14:00、-2h): "},
	"command":       {"command", "コマンド"},
	"unknown cmd":   {"unknown command", "不明なコマンド"},
	"help title":    {"Keys", "キー操作"},
	"all":           {"all", "すべて"},
	"phase names":   {"Attack phases", "攻撃段階"},

	// Incidents and containment.
	"checklist":               {"Checklist", "チェックリスト"},
	"findings":                {"Findings", "調査結果"},
	"actions":                 {"Actions", "対処"},
	"audit":                   {"Audit", "監査記録"},
	"alerts n":                {"alerts", "件のアラート"},
	"alerts attached":         {"alerts attached", "件のアラートを追加"},
	"already accepted":        {"every suggestion is already in the finding", "提案はすでにすべて反映済みです"},
	"already in":              {"already in incident", "既存のインシデント"},
	"already undone":          {"already undone", "取り消し済み"},
	"back":                    {"back", "戻る"},
	"status open":             {"open", "対応中"},
	"status closed":           {"closed", "完了"},
	"open n":                  {"open", "件対応中"},
	"closed n":                {"closed", "件完了"},
	"closed shown":            {"closed ones shown", "完了分も表示"},
	"opened":                  {"opened", "作成"},
	"opened col":              {"Opened", "作成日"},
	"phase hd":                {"Ph", "段階"},
	"progress":                {"Done", "進捗"},
	"no handling":             {"Incident handling is not available here.", "ここではインシデント対応を使えません。"},
	"no incidents":            {"No incidents. Press i on an alert or an endpoint to open one.", "インシデントはありません。アラートか端末で i を押すと作成できます。"},
	"no open incidents":       {"No open incidents (x shows the closed ones).", "対応中のインシデントはありません（x で完了分を表示）。"},
	"incident title":          {"Open an incident — title: ", "インシデント作成 — 件名: "},
	"incident closed":         {"incident closed", "インシデントを完了"},
	"incident reopened":       {"incident reopened", "インシデントを再開"},
	"close note":              {"Close the incident — note (why): ", "インシデントを完了 — メモ（理由）: "},
	"reopen note":             {"Reopen the incident — note (why): ", "インシデントを再開 — メモ（理由）: "},
	"handling":                {"handling", "対応段階"},
	"handling done":           {"handling complete", "対応完了"},
	"current":                 {"current", "現在"},
	"current set":             {"current (set by hand)", "現在（手動設定）"},
	"current phase set":       {"current phase set to", "現在の段階を設定:"},
	"phase from checklist":    {"phase from the checklist", "段階をチェックリストに従う"},
	"no part":                 {"no part in this phase", "この段階での役割なし"},
	"skipped because":         {"skipped:", "対象外:"},
	"inputs":                  {"needs", "入力"},
	"outputs":                 {"produces", "出力"},
	"mark done":               {"Done", "完了"},
	"mark skipped":            {"Skip (not applicable)", "対象外にする"},
	"mark open":               {"Mark open again", "未完了に戻す"},
	"not written":             {"nothing written yet", "未記入"},
	"written by":              {"written by", "記入:"},
	"suggested":               {"Suggested from the alerts' evidence (not confirmed; a accepts):", "アラートの証拠からの提案（未確認。a で採用）:"},
	"suggestion accepted":     {"suggestion accepted into", "提案を採用:"},
	"finding saved":           {"finding saved", "調査結果を保存"},
	"edit hint":               {"ctrl+s save · esc cancel", "ctrl+s 保存 · esc 取消"},
	"no alerts yet":           {"No alerts attached yet.", "まだアラートはありません。"},
	"no actions":              {"No containment measure taken yet: press c to choose one.", "まだ暫定対処はありません。c で選択できます。"},
	"no records":              {"No audit records.", "監査記録はありません。"},
	"undo of run":             {"undo of", "取り消し元"},
	"undone":                  {"undone", "取り消し済み"},
	"can undo":                {"can be undone: press u", "取り消し可能: u を押す"},
	"is an undo":              {"this is an undo; it cannot be undone itself", "これは取り消しの操作なので取り消せません"},
	"did not take effect":     {"it did not take effect: nothing to undo", "効果がなかったため取り消すものはありません"},
	"irreversible":            {"the measure cannot be undone", "この対処は取り消せません"},
	"report":                  {"report", "報告書"},
	"evidence bundle":         {"evidence bundle", "証拠一式"},
	"report to":               {"Export the report (Markdown) to: ", "報告書（Markdown）の出力先: "},
	"evidence to":             {"Export the evidence bundle to: ", "証拠一式の出力先: "},
	"exported to":             {"exported to", "出力先:"},
	"lines":                   {"lines", "行"},
	"who":                     {"Who", "実施者"},
	"started":                 {"Started", "開始"},
	"finished":                {"Finished", "終了"},
	"note":                    {"Note", "メモ"},
	"run":                     {"Run", "実行ID"},
	"exit":                    {"exit", "終了コード"},
	"output":                  {"Output", "標準出力"},
	"errors":                  {"Errors", "標準エラー"},
	"output cut":              {"(output cut: longer than mamori keeps)", "（出力は保持上限を超えたため省略）"},
	"outcome succeeded":       {"succeeded", "成功"},
	"outcome failed":          {"failed", "失敗"},
	"outcome timed-out":       {"timed out", "時間切れ"},
	"outcome canceled":        {"canceled", "中断"},
	"outcome not-started":     {"not started", "開始できず"},
	"outcome done-by-hand":    {"done by hand", "手作業で実施"},
	"outcome running":         {"running", "実行中"},
	"outcome unfinished":      {"unfinished", "未完了"},
	"containment":             {"Containment", "暫定対処"},
	"measure":                 {"Measure", "対処"},
	"measures n":              {"measures", "件の対処"},
	"no measures":             {"No measure applies to what is selected.", "選択対象に使える対処はありません。"},
	"cost":                    {"Cost", "業務影響"},
	"evidence short":          {"Evid.", "証拠"},
	"how":                     {"How", "方法"},
	"value":                   {"Value", "値"},
	"legend":                  {"C I A protected 0–3 · cost 0–3 · ! export evidence first", "C I A 保護度 0–3 · 影響 0–3 · ! 先に証拠を出力"},
	"evidence none":           {"kept", "維持"},
	"evidence volatile-lost":  {"memory", "揮発"},
	"evidence history-lost":   {"history", "履歴"},
	"evidence disk-lost":      {"disk", "ディスク"},
	"by command":              {"cmd", "自動"},
	"by hand":                 {"by hand", "手作業"},
	"by hand label":           {"By hand", "手作業"},
	"manual steps":            {"no command is configured: do the %d steps below, then confirm to record that they were done by hand", "コマンドが設定されていません。下の%d手順を行い、確認入力で手作業の実施を記録してください"},
	"for reference":           {"for reference, on a typical gateway", "参考（一般的なゲートウェイの場合）"},
	"command label":           {"Command", "コマンド"},
	"no shell limit":          {"runs as shown, without a shell; time limit %s", "シェルを介さず表示どおりに実行。制限時間 %s"},
	"parameters":              {"Parameters", "パラメータ"},
	"none":                    {"none", "なし"},
	"typed":                   {"typed by hand", "手入力"},
	"protects":                {"Protects", "保護"},
	"rationale":               {"Why", "評価の根拠"},
	"undo":                    {"Undo", "取り消し"},
	"undo command":            {"undo command", "取り消しコマンド"},
	"affects":                 {"Affects", "影響範囲"},
	"to run":                  {"To run", "実行"},
	"press enter type":        {"press enter, then type the %s:", "enter を押して%sを入力:"},
	"enter to run":            {"enter: run it (you will type %s to confirm) · d: dry run", "enter: 実行（確認のため %s を入力） · d: ドライラン"},
	"type to run":             {"To run it, type the %s: ", "実行するには%sを入力: "},
	"nothing ran yet":         {"(nothing has run yet)", "（まだ何も実行していません）"},
	"esc cancels":             {"esc cancels", "esc で取消"},
	"not the target":          {"that is not the %s: type %s exactly", "%sが一致しません。%s と正確に入力してください"},
	"refused":                 {"refused, nothing ran", "拒否しました。何も実行していません"},
	"running":                 {"running:", "実行中:"},
	"readonly no run":         {"read-only: measures can be looked at, not run", "閲覧専用: 対処は閲覧のみで実行できません"},
	"export first":            {"This measure loses evidence (%s): export the evidence bundle FIRST.", "この対処では証拠が失われます（%s）。先に証拠一式を出力してください。"},
	"press x to export":       {"Press x to export it now to %s.", "x で今すぐ %s に出力します。"},
	"open incident to export": {"Open an incident (i on the alert) to export its evidence.", "証拠を出力するにはインシデントを作成してください（アラートで i）。"},
	"dry run":                 {"dry run", "ドライラン"},
	"dry run nothing ran":     {"Dry run — nothing ran.", "ドライラン — 何も実行していません。"},
	"dry would run":           {"It would run: %s", "実行されるコマンド: %s"},
	"dry would record":        {"It would be recorded as done by hand.", "手作業での実施として記録されます。"},
	"no incident":             {"no incident: recorded in the audit log only", "インシデントなし: 監査記録にのみ残ります"},
	"for incident":            {"for", "対象インシデント"},
	"undo of":                 {"Undo:", "取り消し:"},
	"undoes run":              {"undoes run", "取り消す実行"},
	"nothing ran":             {"Nothing ran.", "何も実行していません。"},
	"recorded audit":          {"Recorded in the audit log.", "監査記録に残しました。"},
	"recorded incident":       {"Recorded in the audit log of %s: see its Actions and Audit.", "%s の監査記録に残しました（対処・監査記録を参照）。"},
	// Key help.
	"up":                     {"up", "上"},
	"down":                   {"down", "下"},
	"top":                    {"top", "先頭"},
	"bottom":                 {"bottom", "末尾"},
	"page up":                {"page up", "前ページ"},
	"page down":              {"page down", "次ページ"},
	"open":                   {"open", "開く"},
	"reload":                 {"reload", "再読込"},
	"show closed":            {"show closed", "完了分を表示"},
	"section":                {"section", "切替"},
	"previous section":       {"previous section", "前の項目"},
	"done/undone":            {"done/undone", "完了/戻す"},
	"skip/unskip":            {"skip/unskip", "対象外/戻す"},
	"set current phase":      {"set current phase", "現在の段階に設定"},
	"inputs → outputs":       {"inputs → outputs", "入力→出力"},
	"edit finding":           {"edit", "編集"},
	"accept suggestion":      {"accept", "採用"},
	"accept all suggestions": {"accept all", "すべて採用"},
	"save":                   {"save", "保存"},
	"cancel":                 {"cancel", "取消"},
	"undo…":                  {"undo…", "取り消し…"},
	"contain…":               {"contain…", "暫定対処…"},
	"close/reopen…":          {"close/reopen…", "完了/再開…"},
	"export report…":         {"report…", "報告書…"},
	"export evidence…":       {"evidence…", "証拠一式…"},
	"plan":                   {"plan", "計画"},
	"parameter":              {"parameter", "パラメータ"},
	"next parameter":         {"next parameter", "次のパラメータ"},
	"next value":             {"next value", "次の値"},
	"type a value":           {"type a value", "値を入力"},
	"run…":                   {"run…", "実行…"},
	"export evidence first":  {"export evidence", "証拠を出力"},
	"confirm":                {"confirm", "確定"},
	"close":                  {"close", "閉じる"},
	"steps":                  {"Steps", "手順"},
	"by hand short":          {"hand", "手動"},
	"change value":           {"value", "値を変更"},
}
